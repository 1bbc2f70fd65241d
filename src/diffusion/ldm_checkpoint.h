#pragma once
// Single-file Stable Diffusion 1.x checkpoints (`v1-5-pruned-emaonly.safetensors`: the CompVis/LDM names)
// split into the three state dicts of a diffusers pipeline folder, as diffusers' `from_single_file`
// (`convert_ldm_unet_checkpoint`, `convert_ldm_vae_checkpoint`, `convert_ldm_clip_checkpoint`) does:
//   model.diffusion_model.*          ldm openaimodel.UNetModel -> UNet2DConditionModel (unet/)
//   first_stage_model.*              ldm AutoencoderKL         -> AutoencoderKL (vae/)
//   cond_stage_model.transformer.*   transformers CLIPTextModel -> CLIPTextModel (text_encoder/)
// Everything else in such a file (the EMA copy `model_ema.*`, the noise schedule `alphas_cumprod`, `betas`, ...)
// is not part of these models and is ignored.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/state_dict.h"
#include "diffusion/unet_config.h"

namespace wf::diffusion {

struct LdmComponents {
  core::StateDict unet, vae, text_encoder;  // diffusers / transformers key names
};

// True when `names` (a safetensors header's tensor names) are those of a single-file LDM checkpoint rather
// than of one diffusers component file.
bool looks_like_ldm_checkpoint(const std::vector<std::string>& names);

// Renames every tensor of the three models and reshapes the VAE attention's 1x1 convolutions [C, C, 1, 1] into
// the linear weights [C, C] diffusers has; tensors are shared, not copied, and keep their dtype. `config` gives
// the UNet's block layout (SD 1.5: unet/config.json's defaults). A component absent from the file comes back
// empty. Throws wf::Error naming `source`: unsupported for a key inside a model prefix that has no diffusers
// counterpart (SDXL, SD 2.x OpenCLIP, ...), corrupt_file for two keys that become one, invalid_input when the
// file holds no UNet.
LdmComponents convert_ldm_checkpoint(const core::StateDict& checkpoint, const UNet2DConditionConfig& config,
                                     const std::filesystem::path& source);

// The key renames alone, torch-free. Each takes a full checkpoint key (with its prefix) and throws
// wf::Error(unsupported) naming the key and `source` when it has no diffusers counterpart.
std::string ldm_unet_key_to_diffusers(const std::string& ldm_key, const UNet2DConditionConfig& config,
                                      const std::filesystem::path& source = {});
// `num_blocks`: the VAE's number of resolution levels (len(block_out_channels), 4 for SD), needed because the
// LDM decoder numbers its levels from the bottom (`up.3` is diffusers' `up_blocks.0`).
std::string ldm_vae_key_to_diffusers(const std::string& ldm_key, std::size_t num_blocks,
                                     const std::filesystem::path& source = {});
// std::nullopt for `embeddings.position_ids`, a buffer older transformers saved and CLIPTextModel lacks.
std::optional<std::string> ldm_text_encoder_key_to_diffusers(const std::string& ldm_key,
                                                             const std::filesystem::path& source = {});

}  // namespace wf::diffusion
