// watserface train xseg / train identity / train lora / apply xseg: step 3 from the command line. Ctrl-C stops training
// at the end of the current step with a checkpoint; running the same command again resumes.

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>

#include "cli_context.h"
#include "core/device.h"
#include "interrupt.h"
#include "options/identity_options.h"
#include "options/lora_options.h"
#include "options/xseg_options.h"
#include "progress_line.h"
#include "schema_flags.h"
#include "train/trainers/identity/identity_trainer.h"
#include "train/trainers/lora/lora_trainer.h"
#include "train/trainers/xseg/xseg_apply.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::app {
namespace {

// A trainer's flags, made from its option schema (options/*_options.h).
struct TrainFlags {
  std::unique_ptr<SchemaFlags> options;
  std::string events;
};

struct XSegApplyFlags {
  std::string dataset, model, events;
  float threshold = 0.5f, smoothing = 0.3f;
};

int run_train_xseg(const GlobalOptions& global, const TrainFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  const xseg::XSegTrainOptions options =
      xseg::xseg_train_options(options::resolve_xseg_options(flags.options->values()), compute);
  const std::atomic<bool>& interrupted = interrupt_flag();
  xseg::XSegTrainResult result;
  {
    ProgressLine progress("training xseg", "steps", flags.events);
    result = xseg::train_xseg(options, &progress, &interrupted);
  }
  std::printf("xseg %s: %s at step %lld; held-out IoU %.3f, Dice %.3f (%zu faces trained on, %zu held out)\n",
              options.output.c_str(), result.train.cancelled ? "stopped, resumable," : "trained",
              static_cast<long long>(result.train.step), result.held_out_iou, result.held_out_dice, result.train_faces,
              result.held_out_faces);
  return result.train.cancelled ? 130 : 0;
}

int run_train_identity(const GlobalOptions& global, const TrainFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  nlohmann::json values = flags.options->values();
  values["model"] = base_diffusion_path(config, values.value("model", "")).string();
  const identity::IdentityTrainOptions options =
      identity::identity_train_options(options::resolve_identity_options(values), compute);
  const std::atomic<bool>& interrupted = interrupt_flag();
  identity::IdentityTrainResult result;
  {
    ProgressLine progress("training identity", "steps", flags.events);
    result = identity::train_identity(options, &progress, &interrupted);
  }
  std::printf("identity adapter %s: %s at step %lld on %zu faces (%lld trainable parameters)\n",
              options.output.c_str(), result.train.cancelled ? "stopped, resumable," : "trained",
              static_cast<long long>(result.train.step), result.faces,
              static_cast<long long>(result.trainable_parameters));
  return result.train.cancelled ? 130 : 0;
}

struct LoraTrainFlags : TrainFlags {
  bool plan = false;
};

int run_train_lora(const GlobalOptions& global, const LoraTrainFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  nlohmann::json values = flags.options->values();
  values["model"] = base_diffusion_path(config, values.value("model", "")).string();
  const lora::LoraTrainOptions options = lora::lora_train_options(options::resolve_lora_options(values), compute);
  if (flags.plan) {
    std::printf("%s\n", lora::to_json(lora::plan_lora(options)).dump(2).c_str());
    return 0;
  }
  const std::atomic<bool>& interrupted = interrupt_flag();
  lora::LoraTrainResult result;
  {
    ProgressLine progress("training lora", "steps", flags.events);
    result = lora::train_lora(options, &progress, &interrupted);
  }
  std::printf("lora %s: %s at step %lld on %zu faces (%zu layers, %lld trainable parameters)\n", options.output.c_str(),
              result.train.cancelled ? "stopped, resumable," : "trained", static_cast<long long>(result.train.step),
              result.faces, result.layers, static_cast<long long>(result.trainable_parameters));
  return result.train.cancelled ? 130 : 0;
}

int run_apply_xseg(const GlobalOptions& global, const XSegApplyFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  xseg::XSegApplyOptions options;
  options.dataset = flags.dataset;
  options.model = flags.model;
  options.threshold = flags.threshold;
  options.smoothing = flags.smoothing;
  options.device = core::choose_compute(config.device, config.precision, config.threads).device_name();
  xseg::XSegApplySummary summary;
  {
    ProgressLine progress("masking", "faces", flags.events);
    summary = xseg::apply_xseg(options, &progress);
  }
  std::printf("xseg masks written for %d faces of %s; %d painted masks kept\n", summary.masks, flags.dataset.c_str(),
              summary.painted_kept);
  return 0;
}

}  // namespace

void add_train_commands(CLI::App& app, const GlobalOptions& global, int& status) {
  auto* train = app.add_subcommand("train", "Train the XSeg occlusion mask, the identity adapter and the optional style LoRA");
  train->require_subcommand(1);
  auto xseg_flags = std::make_shared<TrainFlags>();
  auto* xseg = train->add_subcommand("xseg", "Train the occlusion mask on a target dataset (resumes when run again)");
  xseg_flags->options = std::make_unique<SchemaFlags>(*xseg, options::xseg_option_schema());
  xseg->add_option("--events", xseg_flags->events, "also append telemetry to this events.jsonl");
  xseg->callback([&global, &status, xseg_flags] { status = run_train_xseg(global, *xseg_flags); });
  auto identity_flags = std::make_shared<TrainFlags>();
  auto* identity = train->add_subcommand(
      "identity", "Train the identity adapter (InstantID-style IdentityNet + IP-Adapter) on the source dataset");
  identity_flags->options = std::make_unique<SchemaFlags>(*identity, options::identity_option_schema());
  identity->add_option("--events", identity_flags->events, "also append telemetry to this events.jsonl");
  identity->callback([&global, &status, identity_flags] { status = run_train_identity(global, *identity_flags); });
  auto lora_flags = std::make_shared<LoraTrainFlags>();
  auto* lora = train->add_subcommand(
      "lora", "Train the optional style LoRA on the target dataset (diffusers/peft files; resumes when run again)");
  lora_flags->options = std::make_unique<SchemaFlags>(*lora, options::lora_option_schema());
  lora->add_flag("--plan", lora_flags->plan, "print what training would do (layers, parameters, steps, captions) as JSON");
  lora->add_option("--events", lora_flags->events, "also append telemetry to this events.jsonl");
  lora->callback([&global, &status, lora_flags] { status = run_train_lora(global, *lora_flags); });

  auto* apply = app.add_subcommand("apply", "Run a trained model over a dataset");
  apply->require_subcommand(1);
  auto apply_flags = std::make_shared<XSegApplyFlags>();
  auto* apply_xseg = apply->add_subcommand("xseg", "Write XSeg masks for every face of a target dataset");
  apply_xseg->add_option("--dataset", apply_flags->dataset, "the target dataset")->required();
  apply_xseg->add_option("--model", apply_flags->model, "the XSeg model folder (watserface train xseg)")->required();
  apply_xseg->add_option("--threshold", apply_flags->threshold, "probability above which a pixel is face");
  apply_xseg->add_option("--smoothing", apply_flags->smoothing, "weight of the previous frame (0: none)");
  apply_xseg->add_option("--events", apply_flags->events, "also append telemetry to this events.jsonl");
  apply_xseg->callback([&global, &status, apply_flags] { status = run_apply_xseg(global, *apply_flags); });
}

}  // namespace wf::app
