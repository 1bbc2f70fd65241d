#pragma once
// Stable Diffusion generation as diffusers' pipelines run it, one function for txt2img, img2img, inpainting
// and any of them under a ControlNet (StableDiffusionControlNetInpaintPipeline is the full case): prompt and
// negative prompt with classifier-free guidance, strength, steps, seed, a 4-channel UNet with the unmasked
// latents blended back at every step or a 9-channel inpainting UNet fed the mask and masked image.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>

#include "diffusion/controlnet.h"
#include "diffusion/stable_diffusion.h"

namespace wf::diffusion {

struct GenerationRequest {
  std::string prompt{}, negative_prompt{};
  // Precomputed text (or text + image token) contexts [1, M, cross_attention_dim] replace the prompts when set.
  at::Tensor prompt_embeds{}, negative_prompt_embeds{};
  // The ControlNet's own context when it differs from the UNet's (InstantID's IdentityNet attends to the
  // identity tokens only); unset: the UNet's.
  at::Tensor controlnet_prompt_embeds{}, negative_controlnet_prompt_embeds{};
  int64_t width = 512, height = 512;  // txt2img only; otherwise the image's size (multiples of 8 for SD)
  at::Tensor image{};        // [1, 3, H, W] in [0, 1]: img2img and inpainting start here
  at::Tensor mask{};         // [1, 1, H, W] in [0, 1], 1 = repaint; the result keeps pixels where it is 0
  at::Tensor control_image{};// [1, C, H', W'] in [0, 1] for the ControlNet (resized to H x W)
  double strength = 1.0;     // with an image: how far into the noise to start
  int64_t steps = 30;
  double guidance_scale = 7.5;
  uint64_t seed = 0;
  std::string sampler = "dpmpp_2m";  // ddim, euler, euler_a, dpmpp_2m
  double controlnet_conditioning_scale = 1.0;
  bool guess_mode = false;
  int64_t clip_skip = 0;
  bool tiled_vae = false;  // decode in overlapping tiles (always for images over 1024 x 1024)
  // Called after each step with (done, total); return false to stop (the call throws ErrorCode::cancelled).
  std::function<bool(int64_t, int64_t)> on_step{};
};

struct GenerationResult {
  at::Tensor image{};  // [1, 3, H, W] in [0, 1], fp32 on the CPU; with a mask, pasted over the input image
  at::Tensor decoded;  // the VAE's output before the paste
  at::Tensor latents;  // the final latents, unscaled by the VAE's scaling factor
};

GenerationResult generate(StableDiffusion& sd, const GenerationRequest& request, ControlNetModel* controlnet = nullptr);

// A prompt's token ids [1, 77] on the text encoder's device. A prompt longer than the tokenizer's window throws
// invalid_input saying how many tokens to cut.
at::Tensor prompt_ids(StableDiffusion& sd, const std::string& prompt);
// The text encoder's context for a prompt [1, 77, hidden].
at::Tensor encode_prompt(StableDiffusion& sd, const std::string& prompt, int64_t clip_skip = 0);

}  // namespace wf::diffusion
