#pragma once
// The trainable half of the identity phase: an IdentityNet (a ControlNet conditioned on the keypoint image,
// attending to the identity tokens) and the IP-Adapter (Resampler + decoupled cross-attention in the UNet).
//
// On disk (an identity adapter folder), in the layouts InstantID's Python code reads:
//   controlnet/config.json, controlnet/diffusion_pytorch_model.safetensors   diffusers ControlNetModel
//   ip-adapter.safetensors      image_proj.* and ip_adapter.<n>.to_{k,v}_ip.weight
//   identity.json               {"resampler": {...}, "num_tokens", "control", "prompt", "resolution"}
// A folder in InstantID's release layout loads too (ControlNetModel/ instead of controlnet/, its ip-adapter
// converted to safetensors once; no pickles are read) when it was made for this base model's width.

#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "diffusion/controlnet.h"
#include "diffusion/ip_adapter.h"
#include "diffusion/pipeline.h"
#include "diffusion/unet_2d_condition.h"

namespace wf::diffusion {

struct IdentityAdapterInfo {
  ResamplerConfig resampler;
  std::string control = "keypoints_5";  // the IdentityNet's control image: keypoints_5 or face_mesh
  std::string prompt = "a photo of a person";
  int resolution = 512;
};

class IdentityAdapterImpl : public torch::nn::Module {
 public:
  // A fresh adapter for `unet`: the IdentityNet copied from the UNet's encoder (zero residuals: a no-op at
  // first) and a new IP-Adapter attached to the UNet's cross-attention layers.
  IdentityAdapterImpl(UNet2DConditionModel& unet, const ResamplerConfig& resampler);

  // The UNet's prediction for `noisy` latents conditioned on faces: the text context [B, 77, C] plus the identity
  // tokens of `embeddings` [B, D] through the IP-Adapter, and the IdentityNet's residuals from `control` [B, 3, H, W].
  at::Tensor predict(UNet2DConditionModel& unet, const at::Tensor& noisy, const at::Tensor& timesteps,
                     const at::Tensor& text, const at::Tensor& embeddings, const at::Tensor& control);
  // Conditions a generation on one face the same way (an empty face's tokens for the negative prompt).
  void condition(GenerationRequest& request, const at::Tensor& embedding, const at::Tensor& text,
                 const at::Tensor& empty_text, const at::Tensor& control);

  ControlNetModel controlnet{nullptr};
  IPAdapter ip_adapter{nullptr};
};
TORCH_MODULE(IdentityAdapter);

// Writes the folder atomically file by file (config, weights, identity.json last).
void save_identity_adapter(const std::filesystem::path& folder, IdentityAdapterImpl& adapter, const IdentityAdapterInfo& info);
// Reads an adapter folder's identity.json (or InstantID's defaults when absent).
IdentityAdapterInfo read_identity_adapter_info(const std::filesystem::path& folder);

// A Resampler configuration from identity.json's "resampler" object (missing keys keep InstantID's values).
ResamplerConfig resampler_from_json(const nlohmann::json& value);
// Loads the weights of `folder` into `adapter` (strict; mismatches are named with the file).
void load_identity_adapter(const std::filesystem::path& folder, IdentityAdapterImpl& adapter);
// An adapter folder for use rather than training (a LoRA's forward pass, the swap): built for `unet` with its
// IP-Adapter attached, loaded, frozen and in eval mode on `device`. Throws invalid_input naming the folder when it
// takes embeddings of another width than the `dataset` ("source", "target") has.
IdentityAdapter load_frozen_identity_adapter(const std::filesystem::path& folder, const IdentityAdapterInfo& info,
                                             UNet2DConditionModel& unet, int64_t embedding_dim,
                                             const std::string& dataset, c10::Device device);

}  // namespace wf::diffusion
