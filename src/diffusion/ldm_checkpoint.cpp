#include "diffusion/ldm_checkpoint.h"

// The LDM side follows ldm.modules.diffusionmodules.openaimodel.UNetModel (input_blocks / middle_block /
// output_blocks of TimestepEmbedSequential [ResBlock, SpatialTransformer, Downsample/Upsample]) and
// ldm.modules.diffusionmodules.model.{Encoder, Decoder}; the diffusers side is unet_2d_condition.py and
// autoencoder_kl.py.

#include <ATen/core/Tensor.h>

#include <algorithm>
#include <map>
#include <regex>
#include <string_view>

#include "core/error.h"
#include "core/log.h"

namespace wf::diffusion {
namespace {

constexpr std::string_view kUNetPrefix = "model.diffusion_model.";
constexpr std::string_view kVaePrefix = "first_stage_model.";
constexpr std::string_view kTextPrefix = "cond_stage_model.transformer.";
constexpr std::string_view kCondPrefix = "cond_stage_model.";
const char* const kHint =
    "only Stable Diffusion 1.x single-file checkpoints convert; load the model's diffusers folder instead";

[[noreturn]] void unknown_key(const std::string& key, const char* model, const std::filesystem::path& source) {
  throw Error(ErrorCode::unsupported, "checkpoint key '" + key + "' has no counterpart in the diffusers " + model,
              source, kHint);
}

// The regexes allow at most 3 digits, so this cannot overflow.
std::size_t index(const std::ssub_match& digits) {
  return std::stoul(digits.str());
}

bool is_param(std::string_view leaf, std::string_view module) {
  return leaf.size() > module.size() + 1 && leaf.starts_with(module) && leaf[module.size()] == '.' &&
         (leaf.substr(module.size() + 1) == "weight" || leaf.substr(module.size() + 1) == "bias");
}

// openaimodel.ResBlock -> ResnetBlock2D; `in_layers` is [GroupNorm, SiLU, conv], `emb_layers` [SiLU, linear],
// `out_layers` [GroupNorm, SiLU, Dropout, conv].
std::optional<std::string> unet_resnet(const std::string& base, const std::string& leaf) {
  static const std::regex re(R"((in_layers\.[02]|emb_layers\.1|out_layers\.[03]|skip_connection)\.(weight|bias))");
  static const std::map<std::string, std::string> names{
      {"in_layers.0", "norm1"},  {"in_layers.2", "conv1"},  {"emb_layers.1", "time_emb_proj"},
      {"out_layers.0", "norm2"}, {"out_layers.3", "conv2"}, {"skip_connection", "conv_shortcut"}};
  std::smatch m;
  if (!std::regex_match(leaf, m, re)) return std::nullopt;
  return base + names.at(m[1].str()) + "." + m[2].str();
}

// SpatialTransformer and Transformer2DModel name everything below the block alike.
std::optional<std::string> unet_transformer(const std::string& base, const std::string& leaf) {
  static const std::regex re(
      R"(((norm|proj_in|proj_out)|transformer_blocks\.\d{1,3}\.(norm[123]|attn[12]\.(to_[qkv]|to_out\.0)|ff\.net\.(0\.proj|2)))\.(weight|bias))");
  if (!std::regex_match(leaf, re)) return std::nullopt;
  return base + leaf;
}

std::optional<std::string> unet_key(const std::string& rest, const UNet2DConditionConfig& config) {
  static const std::map<std::string, std::string> top{{"time_embed.0", "time_embedding.linear_1"},
                                                      {"time_embed.2", "time_embedding.linear_2"},
                                                      {"input_blocks.0.0", "conv_in"},
                                                      {"out.0", "conv_norm_out"},
                                                      {"out.2", "conv_out"}};
  for (const auto& [ldm, diffusers] : top) {
    if (is_param(rest, ldm)) return diffusers + rest.substr(ldm.size());
  }
  static const std::regex block_re(R"((input_blocks|output_blocks)\.(\d{1,3})\.(\d)\.(.+))");
  static const std::regex middle_re(R"(middle_block\.([012])\.(.+))");
  const std::size_t blocks = config.block_out_channels.size();
  const std::size_t per_level = static_cast<std::size_t>(config.layers_per_block) + 1;
  std::smatch m;
  if (std::regex_match(rest, m, middle_re)) {
    const std::string leaf = m[2].str();
    if (m[1] == "1") return unet_transformer("mid_block.attentions.0.", leaf);
    return unet_resnet(m[1] == "0" ? "mid_block.resnets.0." : "mid_block.resnets.1.", leaf);
  }
  if (!std::regex_match(rest, m, block_re)) return std::nullopt;
  const std::size_t n = index(m[2]), sub = index(m[3]);
  const std::string leaf = m[4].str();
  if (m[1] == "input_blocks") {
    // input_blocks[0] is conv_in; then per level `layers_per_block` [ResBlock, SpatialTransformer?] and,
    // except on the last level, one [Downsample].
    if (n == 0 || (n - 1) / per_level >= blocks) return std::nullopt;
    const std::size_t level = (n - 1) / per_level, j = (n - 1) % per_level;
    const std::string base = "down_blocks." + std::to_string(level) + ".";
    if (j + 1 == per_level) {
      if (level + 1 == blocks || sub != 0 || !is_param(leaf, "op")) return std::nullopt;
      return base + "downsamplers.0.conv" + leaf.substr(2);
    }
    if (sub == 0) return unet_resnet(base + "resnets." + std::to_string(j) + ".", leaf);
    if (sub == 1 && config.is_cross_attention(level)) {
      return unet_transformer(base + "attentions." + std::to_string(j) + ".", leaf);
    }
    return std::nullopt;
  }
  // output_blocks: per up block `layers_per_block + 1` [ResBlock, SpatialTransformer?, Upsample?]; the Upsample
  // (last entry of every up block but the last) sits at index 1 or 2 depending on the attention.
  const std::size_t i = n / per_level, j = n % per_level;
  if (i >= blocks) return std::nullopt;
  const bool attention = config.up_block_types.at(i) == "CrossAttnUpBlock2D";
  const std::string base = "up_blocks." + std::to_string(i) + ".";
  if (sub == 0) return unet_resnet(base + "resnets." + std::to_string(j) + ".", leaf);
  if (sub == 1 && attention) return unet_transformer(base + "attentions." + std::to_string(j) + ".", leaf);
  if (sub == (attention ? 2u : 1u) && j + 1 == per_level && i + 1 < blocks && is_param(leaf, "conv")) {
    return base + "upsamplers.0." + leaf;
  }
  return std::nullopt;
}

// ldm model.ResnetBlock -> ResnetBlock2D (no time embedding in the VAE).
std::optional<std::string> vae_resnet(const std::string& base, const std::string& leaf) {
  static const std::regex re(R"((norm1|conv1|norm2|conv2|nin_shortcut)\.(weight|bias))");
  std::smatch m;
  if (!std::regex_match(leaf, m, re)) return std::nullopt;
  return base + (m[1] == "nin_shortcut" ? std::string("conv_shortcut") : m[1].str()) + "." + m[2].str();
}

std::optional<std::string> vae_key(const std::string& rest, std::size_t num_blocks) {
  static const std::regex same_re(
      R"((encoder|decoder)\.(conv_in|conv_out)\.(weight|bias)|(post_)?quant_conv\.(weight|bias))");
  static const std::regex norm_out_re(R"((encoder|decoder)\.norm_out\.(weight|bias))");
  static const std::regex mid_re(R"((encoder|decoder)\.mid\.(block_1|block_2|attn_1)\.(.+))");
  static const std::regex attn_re(R"((norm|q|k|v|proj_out)\.(weight|bias))");
  static const std::regex level_re(R"((encoder\.down|decoder\.up)\.(\d{1,3})\.(.+))");
  static const std::regex block_re(R"(block\.(\d{1,3})\.(.+))");
  static const std::map<std::string, std::string> attention{
      {"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}};
  std::smatch m;
  if (std::regex_match(rest, same_re)) return rest;
  if (std::regex_match(rest, m, norm_out_re)) return m[1].str() + ".conv_norm_out." + m[2].str();
  if (std::regex_match(rest, m, mid_re)) {
    const std::string base = m[1].str() + ".mid_block.", part = m[2].str(), leaf = m[3].str();
    if (part == "block_1") return vae_resnet(base + "resnets.0.", leaf);
    if (part == "block_2") return vae_resnet(base + "resnets.1.", leaf);
    if (!std::regex_match(leaf, m, attn_re)) return std::nullopt;
    return base + "attentions.0." + attention.at(m[1].str()) + "." + m[2].str();
  }
  if (!std::regex_match(rest, m, level_re)) return std::nullopt;
  const bool encoder = m[1] == "encoder.down";
  const std::size_t n = index(m[2]);
  const std::string leaf = m[3].str();
  if (n >= num_blocks) return std::nullopt;
  // The LDM decoder builds its levels bottom-up and stores them by resolution: up.(n-1-i) is up_blocks.i.
  const std::string base = (encoder ? "encoder.down_blocks." : "decoder.up_blocks.") +
                           std::to_string(encoder ? n : num_blocks - 1 - n) + ".";
  if (std::regex_match(leaf, m, block_re)) return vae_resnet(base + "resnets." + m[1].str() + ".", m[2].str());
  const std::string sampler = encoder ? "downsample.conv" : "upsample.conv";
  if (!is_param(leaf, sampler)) return std::nullopt;
  return base + (encoder ? "downsamplers.0.conv" : "upsamplers.0.conv") + leaf.substr(sampler.size());
}

// diffusers' VAE attention uses Linear layers where the LDM AttnBlock has 1x1 convolutions.
bool is_vae_attention_linear(const std::string& name) {
  static const std::regex re(R"((encoder|decoder)\.mid_block\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.weight)");
  return std::regex_match(name, re);
}

}  // namespace

bool looks_like_ldm_checkpoint(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.starts_with(kUNetPrefix); });
}

std::string ldm_unet_key_to_diffusers(const std::string& ldm_key, const UNet2DConditionConfig& config,
                                      const std::filesystem::path& source) {
  std::optional<std::string> name;
  if (ldm_key.starts_with(kUNetPrefix)) name = unet_key(ldm_key.substr(kUNetPrefix.size()), config);
  if (!name) unknown_key(ldm_key, "UNet2DConditionModel", source);
  return *name;
}

std::string ldm_vae_key_to_diffusers(const std::string& ldm_key, std::size_t num_blocks,
                                     const std::filesystem::path& source) {
  std::optional<std::string> name;
  if (ldm_key.starts_with(kVaePrefix)) name = vae_key(ldm_key.substr(kVaePrefix.size()), num_blocks);
  if (!name) unknown_key(ldm_key, "AutoencoderKL", source);
  return *name;
}

std::optional<std::string> ldm_text_encoder_key_to_diffusers(const std::string& ldm_key,
                                                             const std::filesystem::path& source) {
  static const std::regex re(
      R"(text_model\.(embeddings\.(token|position)_embedding\.weight|encoder\.layers\.\d{1,3}\.(self_attn\.(q|k|v|out)_proj|layer_norm[12]|mlp\.fc[12])\.(weight|bias)|final_layer_norm\.(weight|bias)))");
  if (!ldm_key.starts_with(kTextPrefix)) unknown_key(ldm_key, "CLIPTextModel", source);
  std::string name = ldm_key.substr(kTextPrefix.size());
  // Files saved with transformers before 4.21 lack the `text_model.` level.
  if (!name.starts_with("text_model.")) name = "text_model." + name;
  if (name == "text_model.embeddings.position_ids") return std::nullopt;
  if (!std::regex_match(name, re)) unknown_key(ldm_key, "CLIPTextModel", source);
  return name;
}

LdmComponents convert_ldm_checkpoint(const core::StateDict& checkpoint, const UNet2DConditionConfig& config,
                                     const std::filesystem::path& source) {
  // The VAE's level count, from the decoder's highest `up.N` (SD: up.0 .. up.3).
  static const std::regex up_re(R"(first_stage_model\.decoder\.up\.(\d{1,3})\..+)");
  std::size_t vae_blocks = 0;
  std::smatch m;
  for (const auto& entry : checkpoint) {
    if (std::regex_match(entry.first, m, up_re)) vae_blocks = std::max(vae_blocks, index(m[1]) + 1);
  }
  LdmComponents out;
  std::size_t ignored = 0;
  auto put = [&](core::StateDict& dict, const std::string& name, const at::Tensor& tensor, const std::string& key) {
    if (!dict.emplace(name, tensor).second) {
      throw Error(ErrorCode::corrupt_file, "checkpoint key '" + key + "' and another one both become '" + name + "'",
                  source, "the file mixes two naming schemes; re-export it with one");
    }
  };
  for (const auto& [key, tensor] : checkpoint) {
    if (key.starts_with(kUNetPrefix)) {
      put(out.unet, ldm_unet_key_to_diffusers(key, config, source), tensor, key);
    } else if (key.starts_with(kVaePrefix)) {
      const std::string name = ldm_vae_key_to_diffusers(key, vae_blocks, source);
      at::Tensor value = tensor;
      if (is_vae_attention_linear(name) && value.dim() == 4) {
        if (value.size(2) != 1 || value.size(3) != 1) {
          throw Error(ErrorCode::corrupt_file, "'" + key + "' is not a 1x1 convolution", source, kHint);
        }
        value = value.reshape({value.size(0), value.size(1)});  // [C, C, 1, 1] -> [C, C]
      }
      put(out.vae, name, value, key);
    } else if (key.starts_with(kTextPrefix)) {
      if (auto name = ldm_text_encoder_key_to_diffusers(key, source)) put(out.text_encoder, *name, tensor, key);
    } else if (key.starts_with(kCondPrefix)) {
      // SD 2.x keeps an OpenCLIP model under cond_stage_model.model.*, with fused attention projections.
      throw Error(ErrorCode::unsupported,
                  "checkpoint key '" + key +
                      "': the text encoder is not a CLIP text model (SD 2.x's OpenCLIP is not converted)",
                  source, kHint);
    } else {
      ++ignored;  // model_ema.*, the noise schedule, ...
    }
  }
  if (out.unet.empty()) {
    throw Error(ErrorCode::invalid_input,
                "no model.diffusion_model.* tensors: not a single-file Stable Diffusion checkpoint", source, kHint);
  }
  log::debug("diffusion.loader", "{}: {} UNet, {} VAE and {} text encoder tensors converted, {} others ignored",
             source.string(), out.unet.size(), out.vae.size(), out.text_encoder.size(), ignored);
  return out;
}

}  // namespace wf::diffusion
