#!/usr/bin/python3
"""Independent functional PyTorch reference of Stable Diffusion's components, for checking the C++ port.

Written from diffusers' and transformers' model code (UNet2DConditionModel, ControlNetModel, AutoencoderKL,
CLIPTextModel), re-implemented in plain functional torch (F.conv2d, F.linear, F.group_norm, F.layer_norm,
attention as explicit matmuls + softmax). No diffusers / transformers / safetensors package is needed; the
weights are read with tests/nn/safetensors_stdlib.py.

Usage
-----
  python3 sd_reference.py DIR [--float32] [--allow-unused]
      DIR holds (each component optional; a component whose files are absent is skipped):
        unet_config.json + unet.safetensors              -> unet_out (needs inputs sample, timestep, context)
        controlnet_config.json + controlnet.safetensors  -> controlnet_down_<i>, controlnet_mid, and, with the
                                                            UNet, unet_controlled_out (needs control_image;
                                                            conditioning_scale optional, default 1)
        vae_config.json + vae.safetensors                -> vae_decoded (needs latents),
                                                            vae_mean, vae_logvar (needs images)
        text_config.json + text.safetensors              -> text_hidden (needs input_ids)
        inputs.safetensors                               -> the inputs named above
      and gets DIR/reference.safetensors (float32 tensors).
      By default everything is computed in float64 from the (float32/float16) weights, except the sinusoidal
      timestep embedding, which diffusers always computes in float32 and which is therefore computed in float32
      here too. --float32 computes everything in float32 (what diffusers itself does on CPU).
      Every weight of a component must be used by its forward pass; a weight that is never read (or a missing
      one) is an error (exit status 2) unless --allow-unused: it means the two sides disagree on the layout.

  python3 sd_reference.py --make-example DIR [--variant sd1|sd2]
      writes a tiny random example of every input file into DIR (documents the expected keys and shapes).

  python3 sd_reference.py --selftest
      self-checks (see selftest()): key coverage, equivalences, cross-checks against torch's own
      multi-head attention and TransformerEncoderLayer, and the key/shape lists in sd15_keys/ if present.

State-dict names (diffusers / transformers, exactly as save_pretrained writes them)
--------------------------------------------------------------------------------
UNet:  conv_in, time_embedding.linear_1/linear_2, down_blocks.<i>.resnets.<j>.{norm1,conv1,time_emb_proj,norm2,
       conv2,conv_shortcut?}, down_blocks.<i>.attentions.<j>.{norm,proj_in,proj_out,
       transformer_blocks.<k>.{norm1,attn1.{to_q,to_k,to_v,to_out.0},norm2,attn2.*,norm3,ff.net.0.proj,ff.net.2}},
       down_blocks.<i>.downsamplers.0.conv, mid_block.resnets.{0,1}, mid_block.attentions.0,
       up_blocks.<i>.resnets.<j>, up_blocks.<i>.attentions.<j>, up_blocks.<i>.upsamplers.0.conv,
       conv_norm_out, conv_out.
ControlNet: the UNet's conv_in, time_embedding, down_blocks, mid_block, plus
       controlnet_cond_embedding.{conv_in,blocks.<k>,conv_out}, controlnet_down_blocks.<k>, controlnet_mid_block.
VAE:   encoder.{conv_in,down_blocks.<i>.resnets.<j>,down_blocks.<i>.downsamplers.0.conv,mid_block.resnets.{0,1},
       mid_block.attentions.0.{group_norm,to_q,to_k,to_v,to_out.0},conv_norm_out,conv_out}, quant_conv,
       post_quant_conv, decoder.{conv_in,mid_block.*,up_blocks.<i>.resnets.<j>,up_blocks.<i>.upsamplers.0.conv,
       conv_norm_out,conv_out}.
CLIP:  text_model.embeddings.{token_embedding,position_embedding}, text_model.encoder.layers.<l>.{layer_norm1,
       self_attn.{q_proj,k_proj,v_proj,out_proj},layer_norm2,mlp.fc1,mlp.fc2}, text_model.final_layer_norm.
"""
import argparse
import json
import math
import os
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nn"))
import safetensors_stdlib  # noqa: E402


# ----------------------------------------------------------------------------------------------------------
# Weights: a state dict that records which keys the forward pass reads.
# ----------------------------------------------------------------------------------------------------------

IGNORED_KEYS = ("text_model.embeddings.position_ids",)  # a non-persistent buffer some files still carry


class Weights:
    def __init__(self, tensors, dtype, name):
        self.tensors = tensors
        self.dtype = dtype
        self.name = name
        self.used = set()

    def has(self, key):
        return key in self.tensors

    def __getitem__(self, key):
        if key not in self.tensors:
            raise KeyError(f"{self.name}: missing weight '{key}'")
        self.used.add(key)
        return self.tensors[key].to(self.dtype)

    def opt(self, key):
        return self[key] if key in self.tensors else None

    def unused(self):
        return sorted(k for k in self.tensors if k not in self.used and k not in IGNORED_KEYS)


# ----------------------------------------------------------------------------------------------------------
# Leaf operations (functional).
# ----------------------------------------------------------------------------------------------------------


def conv(W, p, x, stride=1, padding=None):
    w = W[p + ".weight"]
    if padding is None:
        padding = (w.shape[-1] - 1) // 2
    return F.conv2d(x, w, W.opt(p + ".bias"), stride=stride, padding=padding)


def linear(W, p, x):
    w = W[p + ".weight"]
    if w.dim() == 4:  # a 1x1 conv stored where diffusers has a Linear (legacy attention blocks)
        w = w[:, :, 0, 0]
    return F.linear(x, w, W.opt(p + ".bias"))


def group_norm(W, p, x, groups, eps):
    return F.group_norm(x, groups, W[p + ".weight"], W[p + ".bias"], eps)


def layer_norm(W, p, x, eps):
    return F.layer_norm(x, (x.shape[-1],), W[p + ".weight"], W[p + ".bias"], eps)


def multi_head_attention(q, k, v, heads, bias=None):
    """q [B,N,C], k/v [B,M,C] -> [B,N,C]; heads split C into contiguous chunks of C/heads (diffusers'
    head_to_batch_dim, transformers' view(B, N, heads, head_dim)); scores scaled by head_dim**-0.5; bias (if any)
    is added to the scores before the softmax. Loops over the batch to bound memory."""
    b, n, c = q.shape
    m = k.shape[1]
    assert c % heads == 0, f"{c} channels do not split into {heads} heads"
    dh = c // heads
    scale = dh ** -0.5
    out = []
    for i in range(b):
        qi = q[i].reshape(n, heads, dh).transpose(0, 1)  # [h, n, dh]
        ki = k[i].reshape(m, heads, dh).transpose(0, 1)
        vi = v[i].reshape(m, heads, dh).transpose(0, 1)
        scores = torch.matmul(qi, ki.transpose(1, 2)) * scale  # [h, n, m]
        if bias is not None:
            scores = scores + bias
        probs = torch.softmax(scores, dim=-1)
        out.append(torch.matmul(probs, vi).transpose(0, 1).reshape(n, c))
    return torch.stack(out)


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def activation(name):
    return {"quick_gelu": quick_gelu, "gelu": F.gelu, "silu": F.silu, "swish": F.silu}[name]


# ----------------------------------------------------------------------------------------------------------
# diffusers building blocks.
# ----------------------------------------------------------------------------------------------------------


def timestep_embedding(timesteps, dim, flip_sin_to_cos, downscale_freq_shift, max_period=10000):
    """diffusers get_timestep_embedding, in float32 as diffusers computes it (Timesteps returns float32)."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(0, half, dtype=torch.float32)
    exponent = exponent / (half - downscale_freq_shift)
    freqs = torch.exp(exponent)
    args = timesteps[:, None].float() * freqs[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    if dim % 2 == 1:
        emb = F.pad(emb, (0, 1, 0, 0))
    return emb


def resnet_block(W, p, x, temb, groups, eps, output_scale_factor=1.0):
    """ResnetBlock2D, time_embedding_norm 'default': norm1-silu-conv1 (+ time_emb_proj(silu(temb))),
    norm2-silu-conv2, shortcut conv_shortcut (1x1) when the channel count changes."""
    h = F.silu(group_norm(W, p + ".norm1", x, groups, eps))
    h = conv(W, p + ".conv1", h)
    if temb is not None and W.has(p + ".time_emb_proj.weight"):
        h = h + linear(W, p + ".time_emb_proj", F.silu(temb))[:, :, None, None]
    h = F.silu(group_norm(W, p + ".norm2", h, groups, eps))
    h = conv(W, p + ".conv2", h)  # dropout is identity at inference
    if W.has(p + ".conv_shortcut.weight"):
        x = conv(W, p + ".conv_shortcut", x, padding=0)
    return (x + h) / output_scale_factor


def cross_attention(W, p, x, context, heads):
    """diffusers Attention with AttnProcessor: to_q/to_k/to_v (bias-free in the UNet, but read if present),
    softmax(q k^T / sqrt(dim_head)) v, then to_out.0 (with bias)."""
    ctx = x if context is None else context
    q = linear(W, p + ".to_q", x)
    k = linear(W, p + ".to_k", ctx)
    v = linear(W, p + ".to_v", ctx)
    return linear(W, p + ".to_out.0", multi_head_attention(q, k, v, heads))


def basic_transformer_block(W, p, x, context, heads):
    """BasicTransformerBlock, norm_type layer_norm (eps 1e-5, affine), activation geglu:
    x += attn1(norm1(x)); x += attn2(norm2(x), context); x += ff(norm3(x)) with ff = net.2(GEGLU(net.0.proj))."""
    x = cross_attention(W, p + ".attn1", layer_norm(W, p + ".norm1", x, 1e-5), None, heads) + x
    x = cross_attention(W, p + ".attn2", layer_norm(W, p + ".norm2", x, 1e-5), context, heads) + x
    h = linear(W, p + ".ff.net.0.proj", layer_norm(W, p + ".norm3", x, 1e-5))
    hidden, gate = h.chunk(2, dim=-1)
    x = linear(W, p + ".ff.net.2", hidden * F.gelu(gate)) + x
    return x


def transformer_2d(W, p, x, context, heads, groups, num_layers, use_linear_projection):
    """Transformer2DModel (continuous input): GroupNorm(groups, eps 1e-6), proj_in (1x1 conv before the flatten,
    or Linear after it), transformer blocks, proj_out (Linear before the unflatten, or 1x1 conv after), + input."""
    b, c, hgt, wid = x.shape
    residual = x
    h = group_norm(W, p + ".norm", x, groups, 1e-6)
    if not use_linear_projection:
        h = conv(W, p + ".proj_in", h, padding=0)
        inner = h.shape[1]
        h = h.permute(0, 2, 3, 1).reshape(b, hgt * wid, inner)
    else:
        h = h.permute(0, 2, 3, 1).reshape(b, hgt * wid, c)
        h = linear(W, p + ".proj_in", h)
        inner = h.shape[-1]
    for k in range(num_layers):
        h = basic_transformer_block(W, f"{p}.transformer_blocks.{k}", h, context, heads)
    if not use_linear_projection:
        h = h.reshape(b, hgt, wid, inner).permute(0, 3, 1, 2)
        h = conv(W, p + ".proj_out", h, padding=0)
    else:
        h = linear(W, p + ".proj_out", h)
        h = h.reshape(b, hgt, wid, -1).permute(0, 3, 1, 2)
    return h + residual


def vae_attention(W, p, x, groups, eps=1e-6):
    """The VAE mid-block Attention (_from_deprecated_attn_block): residual, group_norm, one head over the
    flattened pixels (heads = channels // attention_head_dim with attention_head_dim = channels), to_q/to_k/to_v
    with bias, to_out.0, + residual (rescale_output_factor 1). Older conversions' names query/key/value/proj_attn
    are read too."""
    def name(new, old):
        return p + "." + (new if W.has(f"{p}.{new}.weight") or not W.has(f"{p}.{old}.weight") else old)

    b, c, hgt, wid = x.shape
    residual = x
    h = group_norm(W, name("group_norm", "group_norm"), x, groups, eps)
    h = h.reshape(b, c, hgt * wid).transpose(1, 2)
    q = linear(W, name("to_q", "query"), h)
    k = linear(W, name("to_k", "key"), h)
    v = linear(W, name("to_v", "value"), h)
    h = linear(W, name("to_out.0", "proj_attn"), multi_head_attention(q, k, v, 1))
    h = h.transpose(1, 2).reshape(b, c, hgt, wid)
    return h + residual


def downsample_unet(W, p, x, padding=1):
    """Downsample2D(use_conv, padding=downsample_padding): 3x3 conv, stride 2; padding 0 means an explicit
    (0,1,0,1) zero pad first (the VAE encoder's case)."""
    if padding == 0:
        x = F.pad(x, (0, 1, 0, 1), mode="constant", value=0.0)
    return conv(W, p + ".conv", x, stride=2, padding=padding)


def upsample(W, p, x, output_size=None):
    """Upsample2D(use_conv): nearest x2 (or to output_size when the UNet forwards one), then a 3x3 conv."""
    if output_size is None:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
    else:
        x = F.interpolate(x, size=tuple(output_size), mode="nearest")
    return conv(W, p + ".conv", x)


# ----------------------------------------------------------------------------------------------------------
# UNet2DConditionModel and ControlNetModel.
# ----------------------------------------------------------------------------------------------------------

UNSUPPORTED_UNET_OPTIONS = {  # option: value(s) that this reference implements
    "class_embed_type": (None,), "num_class_embeds": (None,), "addition_embed_type": (None,),
    "encoder_hid_dim": (None,), "encoder_hid_dim_type": (None,), "time_embedding_type": ("positional",),
    "time_embedding_act_fn": (None,), "timestep_post_act": (None,), "time_cond_proj_dim": (None,),
    "resnet_time_scale_shift": ("default",), "dual_cross_attention": (False,), "only_cross_attention": (False,),
    "act_fn": ("silu", "swish"), "attention_type": ("default",), "class_embeddings_concat": (False,),
    "cross_attention_norm": (None,), "resnet_skip_time_act": (False,), "resnet_out_scale_factor": (1, 1.0),
    "conv_in_kernel": (3,), "conv_out_kernel": (3,), "reverse_transformer_layers_per_block": (None,),
}


class UNetConfig:
    """The subset of a diffusers UNet2DConditionModel / ControlNetModel config.json that SD 1.x/2.x use, resolved
    the way diffusers resolves it (per-block lists, heads = num_attention_heads or attention_head_dim)."""

    def __init__(self, cfg, controlnet=False):
        for key, allowed in UNSUPPORTED_UNET_OPTIONS.items():
            if cfg.get(key, allowed[0]) not in allowed:
                raise NotImplementedError(f"config option {key}={cfg[key]!r} is not implemented by this reference")
        self.block_out_channels = list(cfg.get("block_out_channels", (320, 640, 1280, 1280)))
        n = len(self.block_out_channels)
        self.down_block_types = list(cfg.get("down_block_types", ["CrossAttnDownBlock2D"] * (n - 1) + ["DownBlock2D"]))
        self.up_block_types = list(cfg.get("up_block_types", ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * (n - 1)))
        self.mid_block_type = cfg.get("mid_block_type", "UNetMidBlock2DCrossAttn")
        for t in self.down_block_types:
            if t not in ("CrossAttnDownBlock2D", "DownBlock2D"):
                raise NotImplementedError(f"down block type {t}")
        for t in self.up_block_types:
            if t not in ("CrossAttnUpBlock2D", "UpBlock2D"):
                raise NotImplementedError(f"up block type {t}")
        if self.mid_block_type not in ("UNetMidBlock2DCrossAttn", "UNetMidBlock2D", None):
            raise NotImplementedError(f"mid block type {self.mid_block_type}")
        lpb = cfg.get("layers_per_block", 2)
        self.layers_per_block = [lpb] * n if isinstance(lpb, int) else list(lpb)
        # diffusers: num_attention_heads = num_attention_heads or attention_head_dim (the SD 1.x/2.x configs'
        # "attention_head_dim" is really the number of heads).
        heads = cfg.get("num_attention_heads") or cfg.get("attention_head_dim", 8)
        self.heads = [heads] * n if isinstance(heads, int) else list(heads)
        tl = cfg.get("transformer_layers_per_block", 1)
        self.transformer_layers = [tl] * n if isinstance(tl, int) else list(tl)
        if any(not isinstance(t, int) for t in self.transformer_layers):
            raise NotImplementedError("nested transformer_layers_per_block")
        self.norm_num_groups = cfg.get("norm_num_groups", 32)
        self.norm_eps = cfg.get("norm_eps", 1e-5)
        self.in_channels = cfg.get("in_channels", 4)
        self.out_channels = cfg.get("out_channels", 4)
        self.flip_sin_to_cos = cfg.get("flip_sin_to_cos", True)
        self.freq_shift = cfg.get("freq_shift", 0)
        self.use_linear_projection = cfg.get("use_linear_projection", False)
        self.downsample_padding = cfg.get("downsample_padding", 1)
        self.mid_block_scale_factor = cfg.get("mid_block_scale_factor", 1.0)
        self.center_input_sample = cfg.get("center_input_sample", False)
        cad = cfg.get("cross_attention_dim", 1280)
        self.cross_attention_dim = [cad] * n if isinstance(cad, int) else list(cad)
        self.time_embedding_dim = cfg.get("time_embedding_dim") if not controlnet else None
        # ControlNet only
        self.conditioning_channels = cfg.get("conditioning_channels", 3)
        self.conditioning_embedding_out_channels = list(cfg.get("conditioning_embedding_out_channels",
                                                                (16, 32, 96, 256)))
        self.channel_order = cfg.get("controlnet_conditioning_channel_order", "rgb")
        self.global_pool_conditions = cfg.get("global_pool_conditions", False)
        if controlnet and not isinstance(cad, int):
            raise NotImplementedError("ControlNetModel takes one cross_attention_dim")
        if not (len(self.down_block_types) == n and len(self.layers_per_block) == n and len(self.heads) == n):
            raise ValueError("per-block lists disagree with block_out_channels")
        if not controlnet and len(self.up_block_types) != n:
            raise ValueError("up_block_types disagrees with block_out_channels")

    @property
    def time_embed_dim(self):
        return self.time_embedding_dim or self.block_out_channels[0] * 4


def time_embedding(W, cfg, timestep, batch, dtype):
    t = timestep.reshape(-1)
    if t.numel() == 1 and batch > 1:
        t = t.expand(batch)
    t_emb = timestep_embedding(t, cfg.block_out_channels[0], cfg.flip_sin_to_cos, cfg.freq_shift).to(dtype)
    h = F.silu(linear(W, "time_embedding.linear_1", t_emb))
    return linear(W, "time_embedding.linear_2", h)


def unet_down(W, cfg, x, emb, context):
    """Down blocks; returns the last hidden state and the skip connections: conv_in's output, then for every
    block each resnet[/attention] output followed by its downsampler output."""
    skips = [x]
    n = len(cfg.block_out_channels)
    for i, kind in enumerate(cfg.down_block_types):
        p = f"down_blocks.{i}"
        for j in range(cfg.layers_per_block[i]):
            x = resnet_block(W, f"{p}.resnets.{j}", x, emb, cfg.norm_num_groups, cfg.norm_eps)
            if kind == "CrossAttnDownBlock2D":
                x = transformer_2d(W, f"{p}.attentions.{j}", x, context, cfg.heads[i], cfg.norm_num_groups,
                                   cfg.transformer_layers[i], cfg.use_linear_projection)
            skips.append(x)
        if i < n - 1:
            x = downsample_unet(W, f"{p}.downsamplers.0", x, cfg.downsample_padding)
            skips.append(x)
    return x, skips


def unet_mid(W, cfg, x, emb, context):
    if cfg.mid_block_type is None:
        return x
    s = cfg.mid_block_scale_factor
    x = resnet_block(W, "mid_block.resnets.0", x, emb, cfg.norm_num_groups, cfg.norm_eps, s)
    if cfg.mid_block_type == "UNetMidBlock2DCrossAttn":
        x = transformer_2d(W, "mid_block.attentions.0", x, context, cfg.heads[-1], cfg.norm_num_groups,
                           cfg.transformer_layers[-1], cfg.use_linear_projection)
        x = resnet_block(W, "mid_block.resnets.1", x, emb, cfg.norm_num_groups, cfg.norm_eps, s)
    return x  # UNetMidBlock2D as built by get_mid_block: num_layers 0, so resnets.0 only


def unet_forward(W, cfg, sample, timestep, context, down_residuals=None, mid_residual=None):
    """UNet2DConditionModel.forward(sample, timestep, encoder_hidden_states[, down_block_additional_residuals,
    mid_block_additional_residual]).sample"""
    n = len(cfg.block_out_channels)
    num_upsamplers = n - 1
    forward_upsample_size = any(d % (2 ** num_upsamplers) != 0 for d in sample.shape[-2:])
    if cfg.center_input_sample:
        sample = 2 * sample - 1.0
    emb = time_embedding(W, cfg, timestep, sample.shape[0], sample.dtype)
    x = conv(W, "conv_in", sample)
    x, skips = unet_down(W, cfg, x, emb, context)
    if down_residuals is not None:
        assert len(down_residuals) == len(skips), (len(down_residuals), len(skips))
        skips = [s + r for s, r in zip(skips, down_residuals)]
    x = unet_mid(W, cfg, x, emb, context)
    if mid_residual is not None:
        x = x + mid_residual
    rev_channels = list(reversed(cfg.block_out_channels))
    rev_heads = list(reversed(cfg.heads))
    rev_layers = list(reversed(cfg.layers_per_block))
    rev_tl = list(reversed(cfg.transformer_layers))
    for i, kind in enumerate(cfg.up_block_types):
        p = f"up_blocks.{i}"
        is_final = i == n - 1
        count = rev_layers[i] + 1
        res = skips[-count:]
        skips = skips[:-count]
        upsample_size = skips[-1].shape[2:] if (not is_final and forward_upsample_size) else None
        for j in range(count):
            x = torch.cat([x, res.pop()], dim=1)
            x = resnet_block(W, f"{p}.resnets.{j}", x, emb, cfg.norm_num_groups, cfg.norm_eps)
            if kind == "CrossAttnUpBlock2D":
                x = transformer_2d(W, f"{p}.attentions.{j}", x, context, rev_heads[i], cfg.norm_num_groups,
                                   rev_tl[i], cfg.use_linear_projection)
        if not is_final:
            x = upsample(W, f"{p}.upsamplers.0", x, upsample_size)
    assert not skips
    assert rev_channels[-1] == x.shape[1]
    if cfg.norm_num_groups is not None:
        x = F.silu(group_norm(W, "conv_norm_out", x, cfg.norm_num_groups, cfg.norm_eps))
    return conv(W, "conv_out", x)


def controlnet_cond_embedding(W, cfg, cond):
    """ControlNetConditioningEmbedding: conv_in, silu, then per pair of blocks a 3x3 conv and a 3x3 stride-2 conv
    (each followed by silu), then conv_out."""
    h = F.silu(conv(W, "controlnet_cond_embedding.conv_in", cond))
    for k in range(2 * (len(cfg.conditioning_embedding_out_channels) - 1)):
        h = F.silu(conv(W, f"controlnet_cond_embedding.blocks.{k}", h, stride=1 if k % 2 == 0 else 2))
    return conv(W, "controlnet_cond_embedding.conv_out", h)


def controlnet_forward(W, cfg, sample, timestep, context, cond, conditioning_scale=1.0):
    """ControlNetModel.forward(..., guess_mode=False) -> (down_block_res_samples, mid_block_res_sample)."""
    if cfg.channel_order == "bgr":
        cond = torch.flip(cond, dims=[1])
    elif cfg.channel_order != "rgb":
        raise ValueError(cfg.channel_order)
    emb = time_embedding(W, cfg, timestep, sample.shape[0], sample.dtype)
    x = conv(W, "conv_in", sample)
    x = x + controlnet_cond_embedding(W, cfg, cond)
    x, skips = unet_down(W, cfg, x, emb, context)
    x = unet_mid(W, cfg, x, emb, context)
    downs = [conv(W, f"controlnet_down_blocks.{k}", s, padding=0) * conditioning_scale for k, s in enumerate(skips)]
    mid = conv(W, "controlnet_mid_block", x, padding=0) * conditioning_scale
    if cfg.global_pool_conditions:
        downs = [torch.mean(d, dim=(2, 3), keepdim=True) for d in downs]
        mid = torch.mean(mid, dim=(2, 3), keepdim=True)
    return downs, mid


# ----------------------------------------------------------------------------------------------------------
# AutoencoderKL.
# ----------------------------------------------------------------------------------------------------------


class VAEConfig:
    def __init__(self, cfg):
        self.block_out_channels = list(cfg.get("block_out_channels", (64,)))
        n = len(self.block_out_channels)
        self.layers_per_block = cfg.get("layers_per_block", 1)
        self.norm_num_groups = cfg.get("norm_num_groups", 32)
        self.latent_channels = cfg.get("latent_channels", 4)
        self.in_channels = cfg.get("in_channels", 3)
        self.out_channels = cfg.get("out_channels", 3)
        self.use_quant_conv = cfg.get("use_quant_conv", True)
        self.use_post_quant_conv = cfg.get("use_post_quant_conv", True)
        self.mid_block_add_attention = cfg.get("mid_block_add_attention", True)
        for t in cfg.get("down_block_types", ["DownEncoderBlock2D"] * n):
            if t != "DownEncoderBlock2D":
                raise NotImplementedError(t)
        for t in cfg.get("up_block_types", ["UpDecoderBlock2D"] * n):
            if t != "UpDecoderBlock2D":
                raise NotImplementedError(t)
        if cfg.get("act_fn", "silu") not in ("silu", "swish"):
            raise NotImplementedError(cfg["act_fn"])


def vae_mid(W, cfg, p, x):
    """UNetMidBlock2D(temb None, eps 1e-6, add_attention): resnets.0, attentions.0, resnets.1."""
    g = cfg.norm_num_groups
    x = resnet_block(W, p + ".resnets.0", x, None, g, 1e-6)
    if cfg.mid_block_add_attention:
        x = vae_attention(W, p + ".attentions.0", x, g)
    return resnet_block(W, p + ".resnets.1", x, None, g, 1e-6)


def vae_encode(W, cfg, images):
    """AutoencoderKL.encode -> latent_dist (mean, logvar clamped to [-30, 20]) of quant_conv(encoder(x))."""
    g = cfg.norm_num_groups
    n = len(cfg.block_out_channels)
    x = conv(W, "encoder.conv_in", images)
    for i in range(n):
        for j in range(cfg.layers_per_block):
            x = resnet_block(W, f"encoder.down_blocks.{i}.resnets.{j}", x, None, g, 1e-6)
        if i < n - 1:
            x = downsample_unet(W, f"encoder.down_blocks.{i}.downsamplers.0", x, padding=0)
    x = vae_mid(W, cfg, "encoder.mid_block", x)
    x = F.silu(group_norm(W, "encoder.conv_norm_out", x, g, 1e-6))
    moments = conv(W, "encoder.conv_out", x)
    if cfg.use_quant_conv:
        moments = conv(W, "quant_conv", moments, padding=0)
    mean, logvar = torch.chunk(moments, 2, dim=1)
    return mean, torch.clamp(logvar, -30.0, 20.0)


def vae_decode(W, cfg, latents):
    """AutoencoderKL.decode(z).sample = decoder(post_quant_conv(z)); no scaling factor."""
    g = cfg.norm_num_groups
    n = len(cfg.block_out_channels)
    z = conv(W, "post_quant_conv", latents, padding=0) if cfg.use_post_quant_conv else latents
    x = conv(W, "decoder.conv_in", z)
    x = vae_mid(W, cfg, "decoder.mid_block", x)
    for i in range(n):
        for j in range(cfg.layers_per_block + 1):
            x = resnet_block(W, f"decoder.up_blocks.{i}.resnets.{j}", x, None, g, 1e-6)
        if i < n - 1:
            x = upsample(W, f"decoder.up_blocks.{i}.upsamplers.0", x)
    x = F.silu(group_norm(W, "decoder.conv_norm_out", x, g, 1e-6))
    return conv(W, "decoder.conv_out", x)


# ----------------------------------------------------------------------------------------------------------
# transformers CLIPTextModel.
# ----------------------------------------------------------------------------------------------------------


def clip_text_forward(W, cfg, input_ids):
    """CLIPTextModel(input_ids).last_hidden_state: token + position embeddings, pre-LN encoder layers with a
    causal mask (finfo.min above the diagonal), final_layer_norm. No padding mask (SD pipelines pass none)."""
    pre = "text_model." if W.has("text_model.embeddings.token_embedding.weight") else ""
    heads = cfg["num_attention_heads"]
    eps = cfg.get("layer_norm_eps", 1e-5)
    act = activation(cfg.get("hidden_act", "quick_gelu"))
    seq = input_ids.shape[-1]
    ids = input_ids.reshape(-1, seq).long()
    tok = W[pre + "embeddings.token_embedding.weight"]
    pos = W[pre + "embeddings.position_embedding.weight"]
    x = tok[ids] + pos[torch.arange(seq)][None]
    mask = torch.full((seq, seq), torch.finfo(x.dtype).min, dtype=x.dtype).triu(1)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"{pre}encoder.layers.{layer}"
        h = layer_norm(W, p + ".layer_norm1", x, eps)
        q = linear(W, p + ".self_attn.q_proj", h)
        k = linear(W, p + ".self_attn.k_proj", h)
        v = linear(W, p + ".self_attn.v_proj", h)
        x = x + linear(W, p + ".self_attn.out_proj", multi_head_attention(q, k, v, heads, bias=mask))
        h = layer_norm(W, p + ".layer_norm2", x, eps)
        x = x + linear(W, p + ".mlp.fc2", act(linear(W, p + ".mlp.fc1", h)))
    return layer_norm(W, pre + "final_layer_norm", x, eps)


# ----------------------------------------------------------------------------------------------------------
# Driver.
# ----------------------------------------------------------------------------------------------------------


def _load_component(folder, stem, dtype):
    cfg_path = os.path.join(folder, f"{stem}_config.json")
    st_path = os.path.join(folder, f"{stem}.safetensors")
    if not (os.path.exists(cfg_path) and os.path.exists(st_path)):
        return None, None
    with open(cfg_path) as f:
        cfg = json.load(f)
    return cfg, Weights(safetensors_stdlib.load(st_path), dtype, stem)


def compute_reference(folder, dtype=torch.float64, allow_unused=False, log=print):
    """Computes every reference whose files are present; returns {name: float32 tensor} and writes
    folder/reference.safetensors."""
    inputs_path = os.path.join(folder, "inputs.safetensors")
    inputs = safetensors_stdlib.load(inputs_path) if os.path.exists(inputs_path) else {}

    def inp(name):
        return inputs[name].to(dtype) if name in inputs else None

    out = {}
    problems = []

    def check_weights(W):
        unused = W.unused()
        if unused:
            msg = f"{W.name}: {len(unused)} weight(s) never read: {', '.join(unused[:8])}" + \
                  (" ..." if len(unused) > 8 else "")
            problems.append(msg)
            print("sd_reference: " + msg, file=sys.stderr)

    with torch.no_grad():
        unet_cfg_json, unet_w = _load_component(folder, "unet", dtype)
        cn_cfg_json, cn_w = _load_component(folder, "controlnet", dtype)
        sample, timestep, context = inp("sample"), inputs.get("timestep"), inp("context")
        have_unet_inputs = sample is not None and timestep is not None and context is not None
        if unet_w is not None and have_unet_inputs:
            ucfg = UNetConfig(unet_cfg_json)
            out["unet_out"] = unet_forward(unet_w, ucfg, sample, timestep, context)
            log(f"sd_reference: unet_out {tuple(out['unet_out'].shape)}")
        if cn_w is not None and have_unet_inputs and "control_image" in inputs:
            ccfg = UNetConfig(cn_cfg_json, controlnet=True)
            scale = float(inputs["conditioning_scale"].reshape(-1)[0]) if "conditioning_scale" in inputs else 1.0
            downs, mid = controlnet_forward(cn_w, ccfg, sample, timestep, context, inp("control_image"), scale)
            for k, d in enumerate(downs):
                out[f"controlnet_down_{k}"] = d
            out["controlnet_mid"] = mid
            log(f"sd_reference: controlnet {len(downs)} down residuals, mid {tuple(mid.shape)}")
            check_weights(cn_w)
            if unet_w is not None:
                out["unet_controlled_out"] = unet_forward(unet_w, ucfg, sample, timestep, context, downs, mid)
                log(f"sd_reference: unet_controlled_out {tuple(out['unet_controlled_out'].shape)}")
        if unet_w is not None and have_unet_inputs:
            check_weights(unet_w)

        vae_cfg_json, vae_w = _load_component(folder, "vae", dtype)
        if vae_w is not None:
            vcfg = VAEConfig(vae_cfg_json)
            did = False
            if "latents" in inputs:
                out["vae_decoded"] = vae_decode(vae_w, vcfg, inp("latents"))
                log(f"sd_reference: vae_decoded {tuple(out['vae_decoded'].shape)}")
                did = True
            if "images" in inputs:
                out["vae_mean"], out["vae_logvar"] = vae_encode(vae_w, vcfg, inp("images"))
                log(f"sd_reference: vae_mean/vae_logvar {tuple(out['vae_mean'].shape)}")
                did = True
            if did and "latents" in inputs and "images" in inputs:
                check_weights(vae_w)  # only a full encode + decode reads every weight

        text_cfg_json, text_w = _load_component(folder, "text", dtype)
        if text_w is not None and "input_ids" in inputs:
            out["text_hidden"] = clip_text_forward(text_w, text_cfg_json, inputs["input_ids"])
            log(f"sd_reference: text_hidden {tuple(out['text_hidden'].shape)}")
            check_weights(text_w)

    out = {k: v.float().contiguous() for k, v in out.items()}
    safetensors_stdlib.save(os.path.join(folder, "reference.safetensors"), out)
    if problems and not allow_unused:
        raise SystemExit(2)
    return out


# ----------------------------------------------------------------------------------------------------------
# Key/shape lists (a second, enumerative derivation of the layouts: documents the expected keys and generates the
# random weights of --make-example / --selftest; the forward pass above must read exactly these keys).
# ----------------------------------------------------------------------------------------------------------


def _conv(name, cout, cin, k, bias=True):
    return [(name + ".weight", [cout, cin, k, k])] + ([(name + ".bias", [cout])] if bias else [])


def _lin(name, cout, cin, bias=True):
    return [(name + ".weight", [cout, cin])] + ([(name + ".bias", [cout])] if bias else [])


def _norm(name, c):
    return [(name + ".weight", [c]), (name + ".bias", [c])]


def _resnet_keys(p, cin, cout, temb):
    e = _norm(p + ".norm1", cin) + _conv(p + ".conv1", cout, cin, 3)
    if temb:
        e += _lin(p + ".time_emb_proj", cout, temb)
    e += _norm(p + ".norm2", cout) + _conv(p + ".conv2", cout, cout, 3)
    if cin != cout:
        e += _conv(p + ".conv_shortcut", cout, cin, 1)
    return e


def _transformer_keys(p, c, heads, cross_dim, layers, linear_proj):
    inner = heads * (c // heads)
    e = _norm(p + ".norm", c)
    e += _lin(p + ".proj_in", inner, c) if linear_proj else _conv(p + ".proj_in", inner, c, 1)
    for k in range(layers):
        b = f"{p}.transformer_blocks.{k}"
        for a, kv in (("attn1", inner), ("attn2", cross_dim)):
            e += _lin(f"{b}.{a}.to_q", inner, inner, False) + _lin(f"{b}.{a}.to_k", inner, kv, False)
            e += _lin(f"{b}.{a}.to_v", inner, kv, False) + _lin(f"{b}.{a}.to_out.0", inner, inner)
        e += _norm(b + ".norm1", inner) + _norm(b + ".norm2", inner) + _norm(b + ".norm3", inner)
        e += _lin(b + ".ff.net.0.proj", inner * 4 * 2, inner) + _lin(b + ".ff.net.2", inner, inner * 4)
    e += _lin(p + ".proj_out", c, inner) if linear_proj else _conv(p + ".proj_out", c, inner, 1)
    return e


def _unet_trunk_keys(cfg):
    """conv_in, time_embedding, down_blocks, mid_block (shared by UNet and ControlNet)."""
    ch = cfg.block_out_channels
    temb = cfg.time_embed_dim
    e = _conv("conv_in", ch[0], cfg.in_channels, 3)
    e += _lin("time_embedding.linear_1", temb, ch[0]) + _lin("time_embedding.linear_2", temb, temb)
    cin = ch[0]
    for i, kind in enumerate(cfg.down_block_types):
        for j in range(cfg.layers_per_block[i]):
            e += _resnet_keys(f"down_blocks.{i}.resnets.{j}", cin if j == 0 else ch[i], ch[i], temb)
            if kind == "CrossAttnDownBlock2D":
                e += _transformer_keys(f"down_blocks.{i}.attentions.{j}", ch[i], cfg.heads[i],
                                       cfg.cross_attention_dim[i], cfg.transformer_layers[i],
                                       cfg.use_linear_projection)
        if i < len(ch) - 1:
            e += _conv(f"down_blocks.{i}.downsamplers.0.conv", ch[i], ch[i], 3)
        cin = ch[i]
    if cfg.mid_block_type is not None:
        e += _resnet_keys("mid_block.resnets.0", ch[-1], ch[-1], temb)
    if cfg.mid_block_type == "UNetMidBlock2DCrossAttn":
        e += _transformer_keys("mid_block.attentions.0", ch[-1], cfg.heads[-1], cfg.cross_attention_dim[-1],
                               cfg.transformer_layers[-1], cfg.use_linear_projection)
        e += _resnet_keys("mid_block.resnets.1", ch[-1], ch[-1], temb)
    return e


def unet_keys(cfg):
    ch = cfg.block_out_channels
    n = len(ch)
    rch = list(reversed(ch))
    temb = cfg.time_embed_dim
    e = _unet_trunk_keys(cfg)
    rev_heads, rev_layers = list(reversed(cfg.heads)), list(reversed(cfg.layers_per_block))
    rev_cad, rev_tl = list(reversed(cfg.cross_attention_dim)), list(reversed(cfg.transformer_layers))
    prev = rch[0]
    for i, kind in enumerate(cfg.up_block_types):
        out_c = rch[i]
        in_c = rch[min(i + 1, n - 1)]
        num = rev_layers[i] + 1
        for j in range(num):
            skip = in_c if j == num - 1 else out_c
            rin = prev if j == 0 else out_c
            e += _resnet_keys(f"up_blocks.{i}.resnets.{j}", rin + skip, out_c, temb)
            if kind == "CrossAttnUpBlock2D":
                e += _transformer_keys(f"up_blocks.{i}.attentions.{j}", out_c, rev_heads[i], rev_cad[i], rev_tl[i],
                                       cfg.use_linear_projection)
        if i < n - 1:
            e += _conv(f"up_blocks.{i}.upsamplers.0.conv", out_c, out_c, 3)
        prev = out_c
    e += _norm("conv_norm_out", ch[0]) + _conv("conv_out", cfg.out_channels, ch[0], 3)
    return e


def controlnet_keys(cfg):
    ch = cfg.block_out_channels
    ce = cfg.conditioning_embedding_out_channels
    e = _unet_trunk_keys(cfg)
    e += _conv("controlnet_cond_embedding.conv_in", ce[0], cfg.conditioning_channels, 3)
    for i in range(len(ce) - 1):
        e += _conv(f"controlnet_cond_embedding.blocks.{2 * i}", ce[i], ce[i], 3)
        e += _conv(f"controlnet_cond_embedding.blocks.{2 * i + 1}", ce[i + 1], ce[i], 3)
    e += _conv("controlnet_cond_embedding.conv_out", ch[0], ce[-1], 3)
    outs = [ch[0]]
    for i in range(len(ch)):
        outs += [ch[i]] * cfg.layers_per_block[i] + ([ch[i]] if i < len(ch) - 1 else [])
    for k, c in enumerate(outs):
        e += _conv(f"controlnet_down_blocks.{k}", c, c, 1)
    e += _conv("controlnet_mid_block", ch[-1], ch[-1], 1)
    return e


def _vae_mid_keys(p, c, attention=True):
    e = _resnet_keys(p + ".resnets.0", c, c, None)
    if attention:
        a = p + ".attentions.0"
        e += _norm(a + ".group_norm", c) + _lin(a + ".to_q", c, c) + _lin(a + ".to_k", c, c)
        e += _lin(a + ".to_v", c, c) + _lin(a + ".to_out.0", c, c)
    return e + _resnet_keys(p + ".resnets.1", c, c, None)


def vae_keys(cfg):
    ch = cfg.block_out_channels
    n = len(ch)
    lat = cfg.latent_channels
    e = _conv("encoder.conv_in", ch[0], cfg.in_channels, 3)
    cin = ch[0]
    for i in range(n):
        for j in range(cfg.layers_per_block):
            e += _resnet_keys(f"encoder.down_blocks.{i}.resnets.{j}", cin if j == 0 else ch[i], ch[i], None)
        if i < n - 1:
            e += _conv(f"encoder.down_blocks.{i}.downsamplers.0.conv", ch[i], ch[i], 3)
        cin = ch[i]
    e += _vae_mid_keys("encoder.mid_block", ch[-1], cfg.mid_block_add_attention)
    e += _norm("encoder.conv_norm_out", ch[-1]) + _conv("encoder.conv_out", 2 * lat, ch[-1], 3)
    e += _conv("decoder.conv_in", ch[-1], lat, 3)
    e += _vae_mid_keys("decoder.mid_block", ch[-1], cfg.mid_block_add_attention)
    rch = list(reversed(ch))
    prev = rch[0]
    for i in range(n):
        for j in range(cfg.layers_per_block + 1):
            e += _resnet_keys(f"decoder.up_blocks.{i}.resnets.{j}", prev if j == 0 else rch[i], rch[i], None)
        if i < n - 1:
            e += _conv(f"decoder.up_blocks.{i}.upsamplers.0.conv", rch[i], rch[i], 3)
        prev = rch[i]
    e += _norm("decoder.conv_norm_out", ch[0]) + _conv("decoder.conv_out", cfg.out_channels, ch[0], 3)
    if cfg.use_quant_conv:
        e += _conv("quant_conv", 2 * lat, 2 * lat, 1)
    if cfg.use_post_quant_conv:
        e += _conv("post_quant_conv", lat, lat, 1)
    return e


def clip_text_keys(cfg):
    d, f = cfg["hidden_size"], cfg["intermediate_size"]
    e = [("text_model.embeddings.token_embedding.weight", [cfg.get("vocab_size", 49408), d]),
         ("text_model.embeddings.position_embedding.weight", [cfg.get("max_position_embeddings", 77), d])]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"text_model.encoder.layers.{layer}"
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            e += _lin(f"{p}.self_attn.{proj}", d, d)
        e += _norm(p + ".layer_norm1", d) + _lin(p + ".mlp.fc1", f, d) + _lin(p + ".mlp.fc2", d, f)
        e += _norm(p + ".layer_norm2", d)
    return e + _norm("text_model.final_layer_norm", d)


def random_weights(keys, gen):
    """Random weights at a usable scale: conv/linear ~ N(0, 1/fan_in), biases and norm shifts ~ N(0, 0.1^2),
    norm scales ~ 1 + N(0, 0.1^2), embeddings ~ N(0, 0.5^2)."""
    out = {}
    for name, shape in keys:
        if name.endswith("embedding.weight"):
            t = torch.randn(shape, generator=gen) * 0.5
        elif len(shape) >= 2:
            fan_in = 1
            for s in shape[1:]:
                fan_in *= s
            t = torch.randn(shape, generator=gen) / math.sqrt(fan_in)
        elif any(s in name for s in ("norm", "layer_norm")) and name.endswith(".weight"):
            t = 1.0 + 0.1 * torch.randn(shape, generator=gen)
        else:
            t = 0.1 * torch.randn(shape, generator=gen)
        out[name] = t.float()
    return out


# ----------------------------------------------------------------------------------------------------------
# Examples and self-test.
# ----------------------------------------------------------------------------------------------------------


def example_configs(variant="sd1"):
    if variant == "sd1":  # SD 1.x layout: conv projections, one head count for every block
        unet = {"block_out_channels": [32, 64], "layers_per_block": 1,
                "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
                "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "attention_head_dim": 4,
                "cross_attention_dim": 32, "norm_num_groups": 8, "norm_eps": 1e-5, "in_channels": 4,
                "out_channels": 4, "flip_sin_to_cos": True, "freq_shift": 0, "use_linear_projection": False}
        size = (8, 8)
    else:  # SD 2.x layout: linear projections, per-block head counts, three levels, odd latent size
        unet = {"block_out_channels": [32, 64, 64], "layers_per_block": 2,
                "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
                "attention_head_dim": [2, 4, 8], "cross_attention_dim": 24, "norm_num_groups": 8, "norm_eps": 1e-5,
                "in_channels": 4, "out_channels": 4, "flip_sin_to_cos": True, "freq_shift": 0,
                "use_linear_projection": True, "transformer_layers_per_block": 1}
        size = (7, 5)
    controlnet = {k: v for k, v in unet.items() if k not in ("up_block_types", "out_channels")}
    controlnet.update({"conditioning_embedding_out_channels": [8, 16], "conditioning_channels": 3})
    vae = {"block_out_channels": [16, 32], "layers_per_block": 1, "norm_num_groups": 8, "latent_channels": 4,
           "in_channels": 3, "out_channels": 3, "down_block_types": ["DownEncoderBlock2D"] * 2,
           "up_block_types": ["UpDecoderBlock2D"] * 2}
    text = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
            "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "vocab_size": 100, "max_position_embeddings": 77}
    return unet, controlnet, vae, text, size


def make_example(folder, variant="sd1", seed=0):
    os.makedirs(folder, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    unet, controlnet, vae, text, (h, w) = example_configs(variant)
    comps = {"unet": (unet, unet_keys(UNetConfig(unet))),
             "controlnet": (controlnet, controlnet_keys(UNetConfig(controlnet, controlnet=True))),
             "vae": (vae, vae_keys(VAEConfig(vae))), "text": (text, clip_text_keys(text))}
    for stem, (cfg, keys) in comps.items():
        with open(os.path.join(folder, f"{stem}_config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        safetensors_stdlib.save(os.path.join(folder, f"{stem}.safetensors"), random_weights(keys, gen))
    b = 2
    up = 2 ** (len(controlnet["conditioning_embedding_out_channels"]) - 1)
    vae_f = 2 ** (len(vae["block_out_channels"]) - 1)
    inputs = {"sample": torch.randn(b, unet["in_channels"], h, w, generator=gen),
              "timestep": torch.tensor([999.0, 1.5]),
              "context": torch.randn(b, 5, unet["cross_attention_dim"], generator=gen),
              "control_image": torch.rand(b, 3, h * up, w * up, generator=gen),
              "conditioning_scale": torch.tensor([0.75]),
              "latents": torch.randn(b, vae["latent_channels"], 4, 3, generator=gen),
              "images": torch.rand(b, 3, 4 * vae_f, 6 * vae_f, generator=gen) * 2 - 1,
              "input_ids": torch.randint(0, text["vocab_size"], (b, 77), generator=gen)}
    safetensors_stdlib.save(os.path.join(folder, "inputs.safetensors"), inputs)
    return comps


def _close(a, b, tol, what):
    err = (a - b).abs().max().item()
    scale = b.abs().max().item()
    ok = err <= tol * max(1.0, scale)
    print(f"  {'ok ' if ok else 'FAIL'} {what}: max |diff| {err:.3g} (scale {scale:.3g})")
    return ok


def selftest():
    ok = True
    quiet = lambda *a, **k: None  # noqa: E731
    torch.manual_seed(0)

    print("timestep embedding against its closed form")
    t = torch.tensor([0.0, 1.0, 999.0])
    emb = timestep_embedding(t, 8, True, 0).double()
    freqs = torch.tensor([10000.0 ** (-i / 4) for i in range(4)], dtype=torch.float64)
    ref = torch.cat([torch.cos(t.double()[:, None] * freqs), torch.sin(t.double()[:, None] * freqs)], dim=1)
    ok &= _close(emb, ref, 1e-4, "flip_sin_to_cos=True, shift 0")
    emb = timestep_embedding(t, 8, False, 1).double()
    freqs = torch.tensor([10000.0 ** (-i / 3) for i in range(4)], dtype=torch.float64)
    ref = torch.cat([torch.sin(t.double()[:, None] * freqs), torch.cos(t.double()[:, None] * freqs)], dim=1)
    ok &= _close(emb, ref, 1e-4, "flip_sin_to_cos=False, shift 1")

    print("multi-head attention against torch.nn.functional.multi_head_attention_forward")
    c, kv, heads = 16, 12, 4
    W = Weights({"a.to_q.weight": torch.randn(c, c), "a.to_k.weight": torch.randn(c, kv),
                 "a.to_v.weight": torch.randn(c, kv), "a.to_out.0.weight": torch.randn(c, c),
                 "a.to_out.0.bias": torch.randn(c)}, torch.float64, "attn")
    x, ctx = torch.randn(2, 6, c, dtype=torch.float64), torch.randn(2, 5, kv, dtype=torch.float64)
    mine = cross_attention(W, "a", x, ctx, heads)
    ref, _ = F.multi_head_attention_forward(
        x.transpose(0, 1), ctx.transpose(0, 1), ctx.transpose(0, 1), c, heads, None, None, None, None, False, 0.0,
        W["a.to_out.0.weight"], W["a.to_out.0.bias"], training=False, need_weights=False,
        use_separate_proj_weight=True, q_proj_weight=W["a.to_q.weight"], k_proj_weight=W["a.to_k.weight"],
        v_proj_weight=W["a.to_v.weight"])
    ok &= _close(mine, ref.transpose(0, 1), 1e-10, "cross-attention, 4 heads")

    print("CLIP encoder layer against torch.nn.TransformerEncoderLayer(norm_first, causal mask)")
    tcfg = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 40,
            "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "vocab_size": 50, "max_position_embeddings": 9}
    tw = random_weights(clip_text_keys(tcfg), torch.Generator().manual_seed(1))
    tw = {k: v.double() for k, v in tw.items()}
    ids = torch.randint(0, 50, (2, 9))
    W = Weights(dict(tw), torch.float64, "clip")
    mine = clip_text_forward(W, tcfg, ids)
    ok &= not W.unused()
    layer = torch.nn.TransformerEncoderLayer(16, 4, 40, dropout=0.0, activation=quick_gelu, batch_first=True,
                                             norm_first=True, dtype=torch.float64).eval()
    p = "text_model.encoder.layers.0."
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(torch.cat([tw[p + f"self_attn.{n}_proj.weight"] for n in "qkv"]))
        layer.self_attn.in_proj_bias.copy_(torch.cat([tw[p + f"self_attn.{n}_proj.bias"] for n in "qkv"]))
        layer.self_attn.out_proj.weight.copy_(tw[p + "self_attn.out_proj.weight"])
        layer.self_attn.out_proj.bias.copy_(tw[p + "self_attn.out_proj.bias"])
        for mine_name, theirs in (("layer_norm1", layer.norm1), ("layer_norm2", layer.norm2)):
            theirs.weight.copy_(tw[p + mine_name + ".weight"])
            theirs.bias.copy_(tw[p + mine_name + ".bias"])
        layer.linear1.weight.copy_(tw[p + "mlp.fc1.weight"])
        layer.linear1.bias.copy_(tw[p + "mlp.fc1.bias"])
        layer.linear2.weight.copy_(tw[p + "mlp.fc2.weight"])
        layer.linear2.bias.copy_(tw[p + "mlp.fc2.bias"])
        x = tw["text_model.embeddings.token_embedding.weight"][ids] + \
            tw["text_model.embeddings.position_embedding.weight"][None]
        causal = torch.triu(torch.full((9, 9), float("-inf"), dtype=torch.float64), 1)
        ref = layer(x, src_mask=causal)
        ref = F.layer_norm(ref, (16,), tw["text_model.final_layer_norm.weight"],
                           tw["text_model.final_layer_norm.bias"], 1e-5)
    ok &= _close(mine, ref, 1e-10, "CLIP text model, 1 layer")

    with tempfile.TemporaryDirectory() as folder:
        for variant in ("sd1", "sd2"):
            print(f"tiny {variant} example: every weight read, outputs finite, shapes")
            comps = make_example(folder, variant)
            out = compute_reference(folder, torch.float64, log=quiet)  # exits with 2 on unread weights
            ins = safetensors_stdlib.load(os.path.join(folder, "inputs.safetensors"))
            for k, v in sorted(out.items()):
                ok &= bool(torch.isfinite(v).all())
            ok &= out["unet_out"].shape == ins["sample"].shape
            ok &= out["unet_controlled_out"].shape == ins["sample"].shape
            ok &= out["vae_decoded"].shape[-2:] == tuple(s * 2 for s in ins["latents"].shape[-2:])
            ok &= out["vae_mean"].shape[-2:] == tuple(s // 2 for s in ins["images"].shape[-2:])
            ok &= out["text_hidden"].shape == (2, 77, 32)
            ok &= bool((out["vae_logvar"] <= 20).all() and (out["vae_logvar"] >= -30).all())
            print(f"  {'ok ' if ok else 'FAIL'} {len(out)} outputs: " +
                  ", ".join(f"{k}{tuple(v.shape)}" for k, v in sorted(out.items())))
            out32 = compute_reference(folder, torch.float32, log=quiet)
            for k in ("unet_out", "unet_controlled_out", "vae_decoded", "text_hidden"):
                ok &= _close(out32[k].double(), out[k].double(), 1e-4, f"float32 vs float64 {k}")

            ucfg_json = comps["unet"][0]
            ucfg = UNetConfig(ucfg_json)
            uw = safetensors_stdlib.load(os.path.join(folder, "unet.safetensors"))
            sample, ts, ctx = ins["sample"].double(), ins["timestep"], ins["context"].double()
            with torch.no_grad():
                W = Weights(uw, torch.float64, "unet")
                base = unet_forward(W, ucfg, sample, ts, ctx)
                zeros_down = [torch.zeros(1)] * len([k for k, _ in comps["controlnet"][1]
                                                     if k.startswith("controlnet_down_blocks.")
                                                     and k.endswith(".weight")])
                zero = unet_forward(W, ucfg, sample, ts, ctx, zeros_down, torch.zeros(1))
                ok &= _close(zero, base, 0.0, "zero ControlNet residuals leave the UNet output unchanged")

                # A ControlNet made from the UNet (from_unet) with identity controlnet blocks and a zero
                # conv_out in its conditioning embedding returns the UNet's own skips; feeding them back as
                # residuals doubles the skips, which must equal a UNet run with doubled skips.
                ccfg = UNetConfig(comps["controlnet"][0], True)
                cw = {k: v for k, v in uw.items() if not k.startswith(("up_blocks", "conv_norm_out", "conv_out"))}
                cn = random_weights(controlnet_keys(ccfg), torch.Generator().manual_seed(5))
                for k, v in cn.items():
                    if k.startswith("controlnet_cond_embedding"):
                        cw[k] = v * 0 if k.startswith("controlnet_cond_embedding.conv_out") else v
                    elif k.startswith("controlnet_") and k.endswith(".weight"):
                        cw[k] = torch.eye(v.shape[0])[:, :, None, None]
                    elif k.startswith("controlnet_"):
                        cw[k] = torch.zeros_like(v)
                CW = Weights(cw, torch.float64, "controlnet")
                cond = ins["control_image"].double()
                downs, mid = controlnet_forward(CW, ccfg, sample, ts, ctx, cond, 1.0)
                ok &= not CW.unused()
                emb = time_embedding(W, ucfg, ts, sample.shape[0], torch.float64)
                x0 = conv(W, "conv_in", sample)
                xm, skips = unet_down(W, ucfg, x0, emb, ctx)
                xm = unet_mid(W, ucfg, xm, emb, ctx)
                ok &= all(_close(d, s, 1e-12, f"controlnet skip {k} = UNet skip") for k, (d, s) in
                          enumerate(zip(downs, skips)))
                ok &= _close(mid, xm, 1e-12, "controlnet mid = UNet mid")
                downs_half, mid_half = controlnet_forward(CW, ccfg, sample, ts, ctx, cond, 0.5)
                ok &= _close(mid_half, 0.5 * mid, 1e-12, "conditioning_scale scales the residuals")

                if ucfg.use_linear_projection:
                    # The same weights as 1x1 convolutions through the conv-projection path give the same output.
                    conv_w = {k: (v[:, :, None, None] if (".proj_in." in k or ".proj_out." in k) and
                                  k.endswith(".weight") else v) for k, v in uw.items()}
                    ccfg_json = dict(ucfg_json, use_linear_projection=False)
                    other = unet_forward(Weights(conv_w, torch.float64, "unet"), UNetConfig(ccfg_json), sample,
                                         ts, ctx)
                    ok &= _close(other, base, 1e-10, "linear projections = the same weights as 1x1 convs")

    keys_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sd15_keys")
    sd15_unet = {"block_out_channels": [320, 640, 1280, 1280], "layers_per_block": 2, "attention_head_dim": 8,
                 "cross_attention_dim": 768, "norm_num_groups": 32}
    sd15_vae = {"block_out_channels": [128, 256, 512, 512], "layers_per_block": 2, "latent_channels": 4,
                "norm_num_groups": 32}
    sd15_text = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
                 "vocab_size": 49408, "max_position_embeddings": 77}
    lists = (("diffusers_unet_sd15.txt", unet_keys(UNetConfig(sd15_unet))),
             ("diffusers_vae_sd15.txt", vae_keys(VAEConfig(sd15_vae))),
             ("diffusers_text_encoder_sd15.txt", clip_text_keys(sd15_text)))
    for fname, mine in lists:
        path = os.path.join(keys_dir, fname)
        if not os.path.exists(path):
            continue
        theirs = {}
        with open(path) as f:
            for line in f:
                if line.strip():
                    name, dims = line.split()
                    theirs[name] = [int(d) for d in dims.split(",")]
        mine_d = dict(mine)
        same = mine_d == theirs
        diff = sorted(set(mine_d) ^ set(theirs)) + sorted(k for k in mine_d if k in theirs and mine_d[k] != theirs[k])
        print(f"  {'ok ' if same else 'FAIL'} key/shape list {fname}: {len(mine_d)} keys"
              + ("" if same else f", differences: {diff[:6]}"))
        ok &= same

    print("selftest", "passed" if ok else "FAILED")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?")
    ap.add_argument("--float32", action="store_true", help="compute in float32 instead of float64")
    ap.add_argument("--allow-unused", action="store_true", help="do not fail on weights the forward never reads")
    ap.add_argument("--make-example", metavar="DIR", help="write a tiny random example of every input into DIR")
    ap.add_argument("--variant", choices=("sd1", "sd2"), default="sd1", help="layout of --make-example")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    if args.make_example:
        make_example(args.make_example, args.variant)
        return 0
    if not args.folder:
        ap.error("give a folder, --make-example DIR or --selftest")
    compute_reference(args.folder, torch.float32 if args.float32 else torch.float64, args.allow_unused)
    return 0


if __name__ == "__main__":
    sys.exit(main())
