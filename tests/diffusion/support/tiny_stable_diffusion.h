#pragma once
// A complete diffusers Stable Diffusion folder with tiny models (the kind diffusers tests with) and the test
// tokenizer vocabulary: what a user's SD 1.5 folder looks like, small enough to run in a unit test.

#include <cstdint>
#include <filesystem>

#include "diffusion/unet_config.h"

namespace wf::test {

// The UNet is UNet2DConditionConfig::tiny.
struct TinyStableDiffusionOptions {
  bool inpainting = false;  // a 9-channel UNet, as stable-diffusion-inpainting has
  int64_t text_width = 32;  // the text encoder's width, which the UNet's cross-attention follows
  unsigned seed = 0;
};

// Writes model_index.json, unet/, vae/, text_encoder/, tokenizer/ and scheduler/ under `dir`.
void write_tiny_stable_diffusion(const std::filesystem::path& dir, const TinyStableDiffusionOptions& options = {});
// A ControlNet made from that folder's UNet (diffusers' from_unet), written as a diffusers folder.
void write_tiny_controlnet(const std::filesystem::path& pipeline_dir, const std::filesystem::path& dir);

}  // namespace wf::test
