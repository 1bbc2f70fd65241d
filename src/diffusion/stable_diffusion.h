#pragma once
// The models of a Stable Diffusion 1.x pipeline, loaded from a diffusers folder or one single-file
// checkpoint, on a device and dtype (fp32 on CPU; fp16 or bf16 on CUDA).

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <filesystem>
#include <optional>
#include <string>

#include "diffusion/autoencoder_kl.h"
#include "diffusion/clip_text_model.h"
#include "diffusion/clip_tokenizer.h"
#include "diffusion/controlnet.h"
#include "diffusion/scheduler_config.h"
#include "diffusion/unet_2d_condition.h"

namespace wf::diffusion {

struct LoadOptions {
  c10::Device device = c10::kCPU;
  at::ScalarType dtype = at::kFloat;
  std::string variant{};                    // "fp16" loads *.fp16.safetensors
  std::filesystem::path tokenizer_dir{};    // overrides the model's tokenizer/ (a single file has none)
};

struct StableDiffusion {
  std::optional<CLIPTokenizer> tokenizer;  // absent for a single-file checkpoint without tokenizer_dir
  CLIPTextModel text_encoder{nullptr};
  AutoencoderKL vae{nullptr};
  UNet2DConditionModel unet{nullptr};
  SchedulerConfig scheduler;
  std::filesystem::path source;

  // A diffusers pipeline folder, or a `.safetensors` single-file SD 1.x checkpoint (the inpainting variant is
  // recognised by its 9-channel conv_in). Models come back in eval mode on options.device / options.dtype.
  static StableDiffusion load(const std::filesystem::path& path, const LoadOptions& options = {});
  // The tokenizer, or a wf::Error saying how to provide one.
  const CLIPTokenizer& require_tokenizer() const;
};

// A diffusers ControlNet folder (config.json + diffusion_pytorch_model.safetensors).
ControlNetModel load_controlnet(const std::filesystem::path& dir, const LoadOptions& options = {});

}  // namespace wf::diffusion
