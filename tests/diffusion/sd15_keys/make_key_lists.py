#!/usr/bin/env python3
"""Writes the key lists (name and shape) of a Stable Diffusion 1.5 single-file checkpoint and of the three
diffusers/transformers components it converts to, each derived on its own from the layout of the code that
defines it (no torch needed, so no weights are downloaded):

  ldm_sd15.txt                   CompVis/LDM names: ldm.modules.diffusionmodules.openaimodel.UNetModel under
                                 model.diffusion_model., ldm.models.autoencoder.AutoencoderKL (Encoder/Decoder of
                                 ldm.modules.diffusionmodules.model) under first_stage_model., and
                                 transformers' CLIPTextModel under cond_stage_model.transformer. (with the
                                 position_ids buffer that the published v1-5 files carry)
  diffusers_unet_sd15.txt        diffusers UNet2DConditionModel (runwayml/stable-diffusion-v1-5 unet/config.json)
  diffusers_vae_sd15.txt         diffusers AutoencoderKL (vae/config.json)
  diffusers_text_encoder_sd15.txt  transformers CLIPTextModel (text_encoder/config.json), without position_ids
  ldm_unet_tiny.txt / diffusers_unet_tiny.txt  the same two UNet layouts at a tiny configuration: block_out_channels
                                 (32, 64), layers_per_block 1, attention at the first level only, cross_attention_dim 32

Run from this folder: python3 make_key_lists.py
"""

# --- shared leaf helpers: (name, shape) pairs --------------------------------------------------------------


def conv(name, cout, cin, k, bias=True):
    out = [(f"{name}.weight", [cout, cin, k, k])]
    return out + [(f"{name}.bias", [cout])] if bias else out


def linear(name, cout, cin, bias=True):
    out = [(f"{name}.weight", [cout, cin])]
    return out + [(f"{name}.bias", [cout])] if bias else out


def norm(name, c):
    return [(f"{name}.weight", [c]), (f"{name}.bias", [c])]


def prefixed(prefix, entries):
    return [(prefix + name, shape) for name, shape in entries]


# --- ldm.modules.diffusionmodules.openaimodel.UNetModel -----------------------------------------------------


def ldm_resblock(ch, emb, out):
    e = norm("in_layers.0", ch) + conv("in_layers.2", out, ch, 3)  # [GroupNorm, SiLU, conv]
    e += linear("emb_layers.1", out, emb)  # [SiLU, linear]
    e += norm("out_layers.0", out) + conv("out_layers.3", out, out, 3)  # [GroupNorm, SiLU, Dropout, conv]
    if out != ch:
        e += conv("skip_connection", out, ch, 1)
    return e


def ldm_spatial_transformer(ch, context):
    inner = ch  # SD 1.x: heads x dim_head = channels
    e = norm("norm", ch) + conv("proj_in", inner, ch, 1)
    b = "transformer_blocks.0."
    # BasicTransformerBlock declares attn1, ff, attn2, norm1, norm2, norm3.
    for attn, kv in (("attn1", inner), ("ff", None), ("attn2", context)):
        if attn == "ff":
            e += linear(b + "ff.net.0.proj", inner * 4 * 2, inner) + linear(b + "ff.net.2", inner, inner * 4)
            continue
        e += linear(b + attn + ".to_q", inner, inner, False) + linear(b + attn + ".to_k", inner, kv, False)
        e += linear(b + attn + ".to_v", inner, kv, False) + linear(b + attn + ".to_out.0", inner, inner)
    for n in ("norm1", "norm2", "norm3"):
        e += norm(b + n, inner)
    return e + conv("proj_out", ch, inner, 1)


def ldm_unet(mc, mult, res_blocks, attn_levels, context, in_ch=4, out_ch=4):
    emb = mc * 4
    e = linear("time_embed.0", emb, mc) + linear("time_embed.2", emb, emb)
    e += conv("input_blocks.0.0", mc, in_ch, 3)
    chans, ch, n = [mc], mc, 1
    for level, m in enumerate(mult):
        for _ in range(res_blocks):
            e += prefixed(f"input_blocks.{n}.0.", ldm_resblock(ch, emb, m * mc))
            ch = m * mc
            if level in attn_levels:
                e += prefixed(f"input_blocks.{n}.1.", ldm_spatial_transformer(ch, context))
            chans.append(ch)
            n += 1
        if level != len(mult) - 1:
            e += conv(f"input_blocks.{n}.0.op", ch, ch, 3)
            chans.append(ch)
            n += 1
    e += prefixed("middle_block.0.", ldm_resblock(ch, emb, ch))
    e += prefixed("middle_block.1.", ldm_spatial_transformer(ch, context))
    e += prefixed("middle_block.2.", ldm_resblock(ch, emb, ch))
    n = 0
    for level in reversed(range(len(mult))):
        for i in range(res_blocks + 1):
            skip = chans.pop()
            e += prefixed(f"output_blocks.{n}.0.", ldm_resblock(ch + skip, emb, mult[level] * mc))
            ch = mult[level] * mc
            s = 1
            if level in attn_levels:
                e += prefixed(f"output_blocks.{n}.1.", ldm_spatial_transformer(ch, context))
                s = 2
            if level and i == res_blocks:
                e += conv(f"output_blocks.{n}.{s}.conv", ch, ch, 3)
            n += 1
    return e + norm("out.0", ch) + conv("out.2", out_ch, mc, 3)


# --- ldm.modules.diffusionmodules.model Encoder / Decoder, ldm.models.autoencoder.AutoencoderKL -----------


def ldm_vae_resnet(cin, cout):
    e = norm("norm1", cin) + conv("conv1", cout, cin, 3) + norm("norm2", cout) + conv("conv2", cout, cout, 3)
    return e + (conv("nin_shortcut", cout, cin, 1) if cin != cout else [])


def ldm_vae_mid(c):
    e = prefixed("mid.block_1.", ldm_vae_resnet(c, c))
    e += norm("mid.attn_1.norm", c)
    for n in ("q", "k", "v", "proj_out"):
        e += conv(f"mid.attn_1.{n}", c, c, 1)
    return e + prefixed("mid.block_2.", ldm_vae_resnet(c, c))


def ldm_vae(ch=128, mult=(1, 2, 4, 4), res_blocks=2, z=4, embed=4):
    enc = conv("conv_in", ch, 3, 3)
    block_in = ch
    for level, m in enumerate(mult):
        for b in range(res_blocks):
            enc += prefixed(f"down.{level}.block.{b}.", ldm_vae_resnet(block_in, ch * m))
            block_in = ch * m
        if level != len(mult) - 1:
            enc += conv(f"down.{level}.downsample.conv", block_in, block_in, 3)
    enc += ldm_vae_mid(block_in) + norm("norm_out", block_in) + conv("conv_out", 2 * z, block_in, 3)
    block_in = ch * mult[-1]
    dec = conv("conv_in", block_in, z, 3) + ldm_vae_mid(block_in)
    for level in reversed(range(len(mult))):
        for b in range(res_blocks + 1):
            dec += prefixed(f"up.{level}.block.{b}.", ldm_vae_resnet(block_in, ch * mult[level]))
            block_in = ch * mult[level]
        if level != 0:
            dec += conv(f"up.{level}.upsample.conv", block_in, block_in, 3)
    dec += norm("norm_out", block_in) + conv("conv_out", 3, block_in, 3)
    return (prefixed("encoder.", enc) + prefixed("decoder.", dec) + conv("quant_conv", 2 * embed, 2 * z, 1) +
            conv("post_quant_conv", z, embed, 1))


# --- transformers CLIPTextModel (ViT-L/14 text tower) -------------------------------------------------------


def clip_text(vocab=49408, hidden=768, inter=3072, layers=12, positions=77, position_ids=False):
    e = [("text_model.embeddings.token_embedding.weight", [vocab, hidden]),
         ("text_model.embeddings.position_embedding.weight", [positions, hidden])]
    if position_ids:
        e.append(("text_model.embeddings.position_ids", [1, positions]))
    for i in range(layers):
        p = f"text_model.encoder.layers.{i}."
        for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
            e += linear(p + "self_attn." + n, hidden, hidden)
        e += norm(p + "layer_norm1", hidden) + linear(p + "mlp.fc1", inter, hidden)
        e += linear(p + "mlp.fc2", hidden, inter) + norm(p + "layer_norm2", hidden)
    return e + norm("text_model.final_layer_norm", hidden)


# --- diffusers UNet2DConditionModel ---------------------------------------------------------------------------


def resnet_2d(cin, cout, temb):
    e = norm("norm1", cin) + conv("conv1", cout, cin, 3)
    if temb:
        e += linear("time_emb_proj", cout, temb)
    e += norm("norm2", cout) + conv("conv2", cout, cout, 3)
    return e + (conv("conv_shortcut", cout, cin, 1) if cin != cout else [])


def transformer_2d(c, cross):
    e = norm("norm", c) + conv("proj_in", c, c, 1)
    b = "transformer_blocks.0."
    for i, kv in ((1, c), (2, cross)):  # BasicTransformerBlock: norm1, attn1, norm2, attn2, norm3, ff
        e += norm(f"{b}norm{i}", c)
        a = f"{b}attn{i}."
        e += linear(a + "to_q", c, c, False) + linear(a + "to_k", c, kv, False) + linear(a + "to_v", c, kv, False)
        e += linear(a + "to_out.0", c, c)
    e += norm(b + "norm3", c) + linear(b + "ff.net.0.proj", c * 8, c) + linear(b + "ff.net.2", c, c * 4)
    return e + conv("proj_out", c, c, 1)


def diffusers_unet(boc, lpb, down_types, up_types, cross, in_ch=4, out_ch=4):
    temb = boc[0] * 4
    e = conv("conv_in", boc[0], in_ch, 3)
    e += linear("time_embedding.linear_1", temb, boc[0]) + linear("time_embedding.linear_2", temb, temb)
    out = boc[0]
    for i, kind in enumerate(down_types):
        cin, out = out, boc[i]
        for j in range(lpb):
            e += prefixed(f"down_blocks.{i}.resnets.{j}.", resnet_2d(cin if j == 0 else out, out, temb))
            if kind == "CrossAttnDownBlock2D":
                e += prefixed(f"down_blocks.{i}.attentions.{j}.", transformer_2d(out, cross))
        if i != len(boc) - 1:
            e += conv(f"down_blocks.{i}.downsamplers.0.conv", out, out, 3)
    rev = list(reversed(boc))
    out = rev[0]
    for i, kind in enumerate(up_types):
        prev, out, cin = out, rev[i], rev[min(i + 1, len(boc) - 1)]
        for j in range(lpb + 1):
            skip = cin if j == lpb else out
            e += prefixed(f"up_blocks.{i}.resnets.{j}.", resnet_2d((prev if j == 0 else out) + skip, out, temb))
            if kind == "CrossAttnUpBlock2D":
                e += prefixed(f"up_blocks.{i}.attentions.{j}.", transformer_2d(out, cross))
        if i != len(boc) - 1:
            e += conv(f"up_blocks.{i}.upsamplers.0.conv", out, out, 3)
    c = boc[-1]
    e += prefixed("mid_block.resnets.0.", resnet_2d(c, c, temb))
    e += prefixed("mid_block.attentions.0.", transformer_2d(c, cross))
    e += prefixed("mid_block.resnets.1.", resnet_2d(c, c, temb))
    return e + norm("conv_norm_out", boc[0]) + conv("conv_out", out_ch, boc[0], 3)


# --- diffusers AutoencoderKL ------------------------------------------------------------------------------------


def vae_mid(c):
    a = "mid_block.attentions.0."
    e = prefixed("mid_block.resnets.0.", resnet_2d(c, c, 0)) + norm(a + "group_norm", c)
    for n in ("to_q", "to_k", "to_v", "to_out.0"):
        e += linear(a + n, c, c)
    return e + prefixed("mid_block.resnets.1.", resnet_2d(c, c, 0))


def diffusers_vae(boc=(128, 256, 512, 512), lpb=2, latent=4):
    enc = conv("conv_in", boc[0], 3, 3)
    out = boc[0]
    for i, c in enumerate(boc):
        cin, out = out, c
        for j in range(lpb):
            enc += prefixed(f"down_blocks.{i}.resnets.{j}.", resnet_2d(cin if j == 0 else out, out, 0))
        if i != len(boc) - 1:
            enc += conv(f"down_blocks.{i}.downsamplers.0.conv", out, out, 3)
    enc += vae_mid(boc[-1]) + norm("conv_norm_out", boc[-1]) + conv("conv_out", 2 * latent, boc[-1], 3)
    rev = list(reversed(boc))
    dec = conv("conv_in", rev[0], latent, 3) + vae_mid(rev[0])
    out = rev[0]
    for i, c in enumerate(rev):
        prev, out = out, c
        for j in range(lpb + 1):
            dec += prefixed(f"up_blocks.{i}.resnets.{j}.", resnet_2d(prev if j == 0 else out, out, 0))
        if i != len(boc) - 1:
            dec += conv(f"up_blocks.{i}.upsamplers.0.conv", out, out, 3)
    dec += norm("conv_norm_out", boc[0]) + conv("conv_out", 3, boc[0], 3)
    return (prefixed("encoder.", enc) + prefixed("decoder.", dec) + conv("quant_conv", 2 * latent, 2 * latent, 1) +
            conv("post_quant_conv", latent, latent, 1))


def write(path, entries):
    names = [n for n, _ in entries]
    assert len(names) == len(set(names)), path
    with open(path, "w") as f:
        for name, shape in entries:
            f.write(f"{name} {','.join(map(str, shape))}\n")
    print(f"{path}: {len(entries)} keys")


if __name__ == "__main__":
    write("ldm_sd15.txt",
          prefixed("model.diffusion_model.", ldm_unet(320, (1, 2, 4, 4), 2, {0, 1, 2}, 768)) +
          prefixed("first_stage_model.", ldm_vae()) +
          prefixed("cond_stage_model.transformer.", clip_text(position_ids=True)))
    sd15_down = ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"]
    sd15_up = ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3
    write("diffusers_unet_sd15.txt", diffusers_unet([320, 640, 1280, 1280], 2, sd15_down, sd15_up, 768))
    write("diffusers_vae_sd15.txt", diffusers_vae())
    write("diffusers_text_encoder_sd15.txt", clip_text())
    write("ldm_unet_tiny.txt", prefixed("model.diffusion_model.", ldm_unet(32, (1, 2), 1, {0}, 32)))
    write("diffusers_unet_tiny.txt",
          diffusers_unet([32, 64], 1, ["CrossAttnDownBlock2D", "DownBlock2D"], ["UpBlock2D", "CrossAttnUpBlock2D"], 32))
