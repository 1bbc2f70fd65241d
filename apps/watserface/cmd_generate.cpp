// watserface generate: Stable Diffusion from the command line for power users — txt2img, img2img
// (--image), inpainting (--image --mask) and any of them under a ControlNet (--controlnet --control-image) or
// with a LoRA (--lora).
// Ctrl-C stops after the current step (exit status 130) without writing a half-made image.

#include <ATen/ATen.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <opencv2/core.hpp>

#include "cli_context.h"
#include "core/compute_dtype.h"
#include "core/device.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/state_dict.h"
#include "diffusion/lora.h"
#include "diffusion/pipeline.h"
#include "interrupt.h"
#include "media/image_io.h"
#include "nn/image_tensor.h"
#include "progress_line.h"

namespace wf::app {
namespace {

struct GenerateFlags {
  std::string model, tokenizer, variant, prompt, negative_prompt, image, mask, controlnet, control_image, lora, output,
      latents, events, sampler = "dpmpp_2m";
  int width = 512, height = 512, steps = 30, clip_skip = 0;
  double strength = 1.0, guidance = 7.5, controlnet_scale = 1.0, lora_scale = 1.0;
  std::uint64_t seed = 0;
  bool guess_mode = false, tiled_vae = false;
};

at::Tensor mask_tensor(const cv::Mat& grey) {
  return at::from_blob(grey.data, {1, 1, grey.rows, grey.cols}, at::kByte).to(at::kFloat) / 255.0;
}

int run_generate(const GlobalOptions& global, const GenerateFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  diffusion::LoadOptions load;
  if (compute.device == core::DeviceKind::cuda) {
    load.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(compute.device_index));
    load.dtype = core::compute_dtype(compute.precision, true);
  }
  load.variant = flags.variant;
  load.tokenizer_dir = flags.tokenizer;
  diffusion::StableDiffusion sd = diffusion::StableDiffusion::load(base_diffusion_path(config, flags.model), load);
  std::optional<diffusion::LoraSet> lora;
  if (!flags.lora.empty()) {
    lora = diffusion::LoraSet::load(*sd.unet, flags.lora);
    lora->set_scale(flags.lora_scale);
  }
  std::optional<diffusion::ControlNetModel> controlnet;
  if (!flags.controlnet.empty()) controlnet = diffusion::load_controlnet(flags.controlnet, load);

  diffusion::GenerationRequest request{.prompt = flags.prompt,
                                       .negative_prompt = flags.negative_prompt,
                                       .width = flags.width,
                                       .height = flags.height,
                                       .strength = flags.strength,
                                       .steps = flags.steps,
                                       .guidance_scale = flags.guidance,
                                       .seed = flags.seed,
                                       .sampler = flags.sampler,
                                       .controlnet_conditioning_scale = flags.controlnet_scale,
                                       .guess_mode = flags.guess_mode,
                                       .clip_skip = flags.clip_skip,
                                       .tiled_vae = flags.tiled_vae};
  if (!flags.image.empty()) request.image = nn::rgb_tensor(media::read_image(flags.image)).unsqueeze(0);
  if (!flags.mask.empty()) request.mask = mask_tensor(media::read_mask(flags.mask));
  if (!flags.control_image.empty())
    request.control_image = nn::rgb_tensor(media::read_image(flags.control_image)).unsqueeze(0);

  diffusion::GenerationResult result;
  {
    ProgressLine progress("generating", "steps", flags.events);
    const core::PhaseRef phase{"generate", 1, 1};
    std::optional<core::ProgressMeter> meter;
    const std::atomic<bool>& interrupted = interrupt_flag();
    request.on_step = [&](int64_t done, int64_t total) {
      if (!meter) meter.emplace(phase, total);
      progress.emit(meter->step(done));
      return !interrupted.load();
    };
    result = diffusion::generate(sd, request, controlnet ? &*controlnet : nullptr);
  }
  media::write_image(flags.output, nn::bgr_image(result.image));
  if (!flags.latents.empty()) core::save_safetensors(flags.latents, {{"latents", result.latents}});
  std::printf("%s: %lldx%lld, %d steps of %s, seed %llu\n", flags.output.c_str(),
              static_cast<long long>(result.image.size(3)), static_cast<long long>(result.image.size(2)), flags.steps,
              flags.sampler.c_str(), static_cast<unsigned long long>(flags.seed));
  return 0;
}

}  // namespace

void add_generate_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto flags = std::make_shared<GenerateFlags>();
  auto* command = app.add_subcommand("generate", "Run Stable Diffusion: txt2img, img2img, inpainting, ControlNet");
  command->add_option("--model", flags->model,
                      "a diffusers Stable Diffusion 1.x folder or a single-file .safetensors (default: the one in the "
                      "models folder)");
  command->add_option("--tokenizer", flags->tokenizer, "a diffusers tokenizer/ folder (single files have none)");
  command->add_option("--variant", flags->variant, "load weights of this variant, e.g. fp16");
  command->add_option("--prompt", flags->prompt, "what to draw")->required();
  command->add_option("--negative-prompt", flags->negative_prompt, "what to steer away from");
  command->add_option("--image", flags->image, "start from this image (img2img; with --mask, inpainting)");
  command->add_option("--mask", flags->mask, "white repaints, black keeps (the kept pixels come back unchanged)");
  command->add_option("--controlnet", flags->controlnet, "a diffusers ControlNet folder");
  command->add_option("--control-image", flags->control_image, "the ControlNet's conditioning image");
  command->add_option("--lora", flags->lora, "a LoRA for the UNet (diffusers/peft or kohya .safetensors)");
  command->add_option("--lora-scale", flags->lora_scale, "the LoRA's strength (0 turns it off)");
  command->add_option("--output", flags->output, "the image to write (.png, .jpg, .webp)")->required();
  command->add_option("--latents", flags->latents, "also write the final latents to this .safetensors");
  command->add_option("--width", flags->width, "txt2img width, a multiple of 8");
  command->add_option("--height", flags->height, "txt2img height, a multiple of 8");
  command->add_option("--steps", flags->steps, "sampling steps")->check(CLI::PositiveNumber);
  command->add_option("--strength", flags->strength, "with --image: how much to change it, (0, 1]");
  command->add_option("--guidance", flags->guidance, "classifier-free guidance scale (1 turns it off)");
  command->add_option("--seed", flags->seed, "noise seed (the same seed gives the same image)");
  command->add_option("--sampler", flags->sampler, "ddim, euler, euler_a or dpmpp_2m");
  command->add_option("--controlnet-scale", flags->controlnet_scale, "ControlNet conditioning scale");
  command->add_flag("--guess-mode", flags->guess_mode, "ControlNet guess mode (works without a prompt)");
  command->add_option("--clip-skip", flags->clip_skip, "use the text encoder's output this many layers early");
  command->add_flag("--tiled-vae", flags->tiled_vae, "decode in tiles (automatic above 1024x1024)");
  command->add_option("--events", flags->events, "also append telemetry to this events.jsonl");
  command->callback([&global, &status, flags] { status = run_generate(global, *flags); });
}

}  // namespace wf::app
