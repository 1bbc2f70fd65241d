// watserface swap: step 4 from the command line — the source face into the target video (or one frame of it).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli_context.h"
#include "core/device.h"
#include "interrupt.h"
#include "jobs/engine_status.h"
#include "media/image_io.h"
#include "options/swap_options.h"
#include "progress_line.h"
#include "schema_flags.h"
#include "swap/swap_driver.h"
#include "swap/swap_engines.h"

namespace wf::app {
namespace {

struct SwapFlags {
  std::string source, target, output, events, model, tokenizer, identity, lora;
  std::unique_ptr<SchemaFlags> settings;  // every engine's (options/swap_options.h)
  long long preview = -1;
  bool no_provenance = false, lossless = false;
};

int run_swap(const GlobalOptions& global, const SwapFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  swap::SwapOptions options =
      swap::swap_options_of(core::resolve_options(options::swap_option_schema(), flags.settings->values()));
  options.source = flags.source;
  options.target = flags.target;
  options.output = flags.output;
  options.provenance = !flags.no_provenance;
  options.lossless = flags.lossless;
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
  flags->settings = std::make_unique<SchemaFlags>(*command, options::swap_option_schema());
  std::string engines;
  for (const swap::EngineSpec& engine : swap::swap_engines()) {
    engines += (engines.empty() ? "" : "; ") + std::string(engine.name) + ": " + std::string(engine.summary);
  }
  command->get_option("--engine")->description("the swap engine [default: offline]; " + engines);
  command->add_option("--preview", flags->preview, "swap only this frame and write it as an image to --output");
  command->add_option("--model", flags->model,
                      "generative: Stable Diffusion 1.5 (default: the one in the models folder)");
  command->add_option("--tokenizer", flags->tokenizer,
                      "generative: a diffusers tokenizer/ folder (single-file models)");
  command->add_option("--identity", flags->identity,
                      "generative: the identity adapter folder (watserface train identity)");
  command->add_option("--lora", flags->lora, "generative: a LoRA folder (watserface train lora) or file");
  command->add_flag("--lossless", flags->lossless, "write FFV1 in .mkv: frames decode exactly as written");
  command->add_flag("--no-provenance", flags->no_provenance, "leave out the 'made with WatserFace' metadata");
  command->add_option("--events", flags->events, "also append telemetry to this events.jsonl");
  command->callback([&global, &status, flags] { status = run_swap(global, *flags); });
}

}  // namespace wf::app
