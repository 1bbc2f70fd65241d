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
#include "options/generation_options.h"
#include "progress_line.h"
#include "schema_flags.h"

namespace wf::app {
namespace {

struct GenerateFlags {
  std::string model, tokenizer, variant, image, mask, controlnet, control_image, lora, output, latents, events;
  std::unique_ptr<SchemaFlags> settings;  // the prompt and how to sample (options/generation_options.h)
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
  const nlohmann::json v = core::resolve_options(options::generate_option_schema(), flags.settings->values());
  std::optional<diffusion::LoraSet> lora;
  if (!flags.lora.empty()) {
    lora = diffusion::LoraSet::load(*sd.unet, flags.lora);
    lora->set_scale(v.at("lora_scale").get<double>());
  }
  std::optional<diffusion::ControlNetModel> controlnet;
  if (!flags.controlnet.empty()) controlnet = diffusion::load_controlnet(flags.controlnet, load);

  diffusion::GenerationRequest request{.prompt = v.at("prompt").get<std::string>(),
                                       .negative_prompt = v.at("negative_prompt").get<std::string>(),
                                       .width = v.at("width").get<std::int64_t>(),
                                       .height = v.at("height").get<std::int64_t>(),
                                       .strength = v.at("strength").get<double>(),
                                       .steps = v.at("steps").get<std::int64_t>(),
                                       .guidance_scale = v.at("guidance").get<double>(),
                                       .seed = v.at("seed").get<std::uint64_t>(),
                                       .sampler = v.at("sampler").get<std::string>(),
                                       .controlnet_conditioning_scale = v.at("controlnet_scale").get<double>(),
                                       .guess_mode = v.at("guess_mode").get<bool>(),
                                       .clip_skip = v.at("clip_skip").get<std::int64_t>(),
                                       .tiled_vae = v.at("tiled_vae").get<bool>()};
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
  std::printf("%s: %lldx%lld, %lld steps of %s, seed %llu\n", flags.output.c_str(),
              static_cast<long long>(result.image.size(3)), static_cast<long long>(result.image.size(2)),
              static_cast<long long>(request.steps), request.sampler.c_str(),
              static_cast<unsigned long long>(request.seed));
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
  flags->settings = std::make_unique<SchemaFlags>(*command, options::generate_option_schema());
  command->add_option("--image", flags->image, "start from this image (img2img; with --mask, inpainting)");
  command->add_option("--mask", flags->mask, "white repaints, black keeps (the kept pixels come back unchanged)");
  command->add_option("--controlnet", flags->controlnet, "a diffusers ControlNet folder");
  command->add_option("--control-image", flags->control_image, "the ControlNet's conditioning image");
  command->add_option("--lora", flags->lora, "a LoRA for the UNet (diffusers/peft or kohya .safetensors)");
  command->add_option("--output", flags->output, "the image to write (.png, .jpg, .webp)")->required();
  command->add_option("--latents", flags->latents, "also write the final latents to this .safetensors");
  command->add_option("--events", flags->events, "also append telemetry to this events.jsonl");
  command->callback([&global, &status, flags] { status = run_generate(global, *flags); });
}

}  // namespace wf::app
