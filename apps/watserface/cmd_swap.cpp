// watserface swap: step 4 from the command line — the source face into the target video (or one frame of it).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli_context.h"
#include "core/device.h"
#include "interrupt.h"
#include "jobs/engine_status.h"
#include "media/image_io.h"
#include "progress_line.h"
#include "swap/swap_driver.h"
#include "swap/swap_engines.h"

namespace wf::app {
namespace {

struct SwapFlags {
  std::string source, target, output, engine = "offline", colour = "lab", events;
  std::string model, tokenizer, identity, lora, prompt, negative_prompt, sampler = "dpmpp_2m", onnx_model;
  int landmarks = 478, feather = -1, resolution = 0, steps = 20;
  double mask_grow = 0, lora_scale = 1.0, strength = 1.0, guidance = 5.0, identity_scale = 0.8, control_scale = 0.8;
  std::uint64_t seed = 0;
  long long preview = -1;
  bool no_seamless = false, no_provenance = false, lossless = false, no_smoothing = false;
};

int run_swap(const GlobalOptions& global, const SwapFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  swap::SwapOptions options;
  options.source = flags.source;
  options.target = flags.target;
  options.output = flags.output;
  options.engine = swap::parse_engine(flags.engine);
  options.warp = {
      .landmarks = flags.landmarks, .colour = swap::parse_colour_mode(flags.colour), .seamless = !flags.no_seamless};
  options.feather = flags.feather;
  options.mask_grow = flags.mask_grow;
  options.provenance = !flags.no_provenance;
  options.lossless = flags.lossless;
  options.smooth_landmarks = !flags.no_smoothing;
  options.generative = {.lora_scale = flags.lora_scale,
                        .prompt = flags.prompt,
                        .negative_prompt = flags.negative_prompt,
                        .resolution = flags.resolution,
                        .steps = flags.steps,
                        .strength = flags.strength,
                        .guidance = flags.guidance,
                        .identity_scale = flags.identity_scale,
                        .control_scale = flags.control_scale,
                        .seed = flags.seed,
                        .sampler = flags.sampler};
  options.onnx_model = flags.onnx_model;
  const swap::EngineSpec& engine = swap::engine_spec(options.engine);
  swap::EngineInputs inputs = jobs::engine_inputs(engine, config, flags.model);
  inputs.tokenizer = flags.tokenizer;
  inputs.identity = flags.identity;
  inputs.lora = flags.lora;
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  inputs.device = compute.device == core::DeviceKind::cuda ? "cuda" : "cpu";
  engine.configure(options, inputs);
  if (flags.preview >= 0) {
    media::write_image(options.output, swap::swap_frame(options, flags.preview).swapped,
                       options.provenance ? swap::provenance_text() : std::map<std::string, std::string>{});
    std::printf("frame %lld swapped into %s\n", flags.preview, flags.output.c_str());
    return 0;
  }
  swap::SwapSummary summary;
  {
    ProgressLine progress("swapping", "frames", flags.events);
    summary = swap::swap_video(options, &progress, &interrupt_flag());
  }
  if (summary.rank != 0 && summary.frames == 0) {
    std::printf("rank %d of %d: no frames of its own; rank 0 writes %s\n", summary.rank, summary.ranks,
                flags.output.c_str());
    return 0;
  }
  if (summary.rank != 0) {
    std::printf("rank %d of %d: frames %lld to %lld, %lld swapped, handed to rank 0, which writes %s\n", summary.rank,
                summary.ranks, static_cast<long long>(summary.first_frame),
                static_cast<long long>(summary.first_frame + summary.frames - 1),
                static_cast<long long>(summary.swapped), flags.output.c_str());
    return 0;
  }
  std::printf("%s: %lld of %lld frames swapped (%s, %zu audio streams kept) in %.1f s; report %s\n",
              flags.output.c_str(), static_cast<long long>(summary.swapped), static_cast<long long>(summary.frames),
              summary.video_codec.c_str(), summary.audio_streams, summary.seconds, summary.report.c_str());
  return 0;
}

}  // namespace

void add_swap_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto flags = std::make_shared<SwapFlags>();
  auto* command = app.add_subcommand(
      "swap", "Swap the source face into the target video or photo with one of the swap engines");
  command->add_option("--source", flags->source, "the source dataset (watserface extract --source)")->required();
  command->add_option("--target", flags->target, "the target dataset (watserface extract --target); it names the video")
      ->required();
  command
      ->add_option("--output", flags->output,
                   "the video to write (.mp4, .mov, .mkv), or an image (.png, .jpg) for a photo target or --preview")
      ->required();
  std::string engines;
  for (const swap::EngineSpec& engine : swap::swap_engines()) {
    engines += (engines.empty() ? "" : "; ") + std::string(engine.name) + ": " + std::string(engine.summary);
  }
  command->add_option("--engine", flags->engine, engines);
  command->add_option("--landmarks", flags->landmarks, "the offline engine's warp: 478 (mesh) or 68 points");
  command->add_option("--colour", flags->colour, "colour matching: lab (mean/std in Lab), histogram or none");
  command->add_flag("--no-seamless", flags->no_seamless, "paste the recoloured warp without Poisson blending");
  command->add_option("--feather", flags->feather, "paste-back feathering in crop pixels (default: crop size / 32)");
  command
      ->add_option("--mask-grow", flags->mask_grow,
                   "grow the face mask by this share of the crop side before swapping (negative: shrink)")
      ->check(CLI::Range(-0.25, 0.25));
  command->add_option("--preview", flags->preview, "swap only this frame and write it as an image to --output");
  command->add_option("--model", flags->model,
                      "generative: Stable Diffusion 1.5 (default: the one in the models folder)");
  command->add_option("--tokenizer", flags->tokenizer,
                      "generative: a diffusers tokenizer/ folder (single-file models)");
  command->add_option("--identity", flags->identity,
                      "generative: the identity adapter folder (watserface train identity)");
  command->add_option("--lora", flags->lora, "generative: a LoRA folder (watserface train lora) or file");
  command->add_option("--lora-scale", flags->lora_scale, "generative: the LoRA's strength");
  command->add_option("--prompt", flags->prompt,
                      "generative: the prompt (default: the LoRA's caption template or the adapter's)");
  command->add_option("--negative-prompt", flags->negative_prompt, "generative: what to steer away from");
  command->add_option("--resolution", flags->resolution, "generative: crop size generated at (default: the adapter's)");
  command->add_option("--steps", flags->steps, "generative: sampling steps")->check(CLI::PositiveNumber);
  command->add_option("--strength", flags->strength,
                      "generative: how far into the noise each crop starts (1: a new face)");
  command->add_option("--guidance", flags->guidance, "generative: classifier-free guidance scale");
  command->add_option("--identity-scale", flags->identity_scale, "generative: the IP-Adapter's weight");
  command->add_option("--control-scale", flags->control_scale, "generative: the IdentityNet's weight");
  command->add_option("--seed", flags->seed, "generative: the seed every frame starts from");
  command->add_option("--sampler", flags->sampler, "generative: ddim, euler, euler_a or dpmpp_2m");
  command->add_option("--onnx-model", flags->onnx_model,
                      "onnx: the swapper (default: the one in models/face_swapper/, see watserface doctor)");
  command->add_flag("--no-smoothing", flags->no_smoothing,
                    "use the tracked landmarks as they are (no One Euro smoothing)");
  command->add_flag("--lossless", flags->lossless, "write FFV1 in .mkv: frames decode exactly as written");
  command->add_flag("--no-provenance", flags->no_provenance, "leave out the 'made with WatserFace' metadata");
  command->add_option("--events", flags->events, "also append telemetry to this events.jsonl");
  command->callback([&global, &status, flags] { status = run_swap(global, *flags); });
}

}  // namespace wf::app
