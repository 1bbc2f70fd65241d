// watserface train xseg / train identity / train lora / apply xseg: step 3 from the command line. Ctrl-C stops training
// at the end of the current step with a checkpoint; running the same command again resumes.

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>

#include "cli_context.h"
#include "core/device.h"
#include "interrupt.h"
#include "options/lora_options.h"
#include "progress_line.h"
#include "schema_flags.h"
#include "train/trainers/identity/identity_trainer.h"
#include "train/trainers/lora/lora_trainer.h"
#include "train/trainers/xseg/xseg_apply.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::app {
namespace {

struct XSegTrainFlags {
  std::string dataset, output, events, schedule = "cosine";
  int epochs = 50, resolution = 256, batch = 8, accumulation = 1, checkpoint_every = 200;
  double lr = 1e-3, weight_decay = 1e-2;
  std::uint64_t seed = 0;
};

struct IdentityTrainFlags {
  std::string dataset, output, model, tokenizer, init, events, prompt = "a photo of a person", control = "keypoints_5";
  int epochs = 100, resolution = 512, batch = 2, accumulation = 2, checkpoint_every = 500, sample_every = 250;
  double lr = 1e-5, snr_gamma = 5.0;
  std::uint64_t seed = 0;
  bool keep_activations = false;
};

struct XSegApplyFlags {
  std::string dataset, model, events;
  float threshold = 0.5f, smoothing = 0.3f;
};

std::string device_name(const core::ComputeChoice& choice) { return choice.device == core::DeviceKind::cuda ? "cuda" : "cpu"; }

int run_train_xseg(const GlobalOptions& global, const XSegTrainFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  xseg::XSegTrainOptions options;
  options.dataset = flags.dataset;
  options.output = flags.output;
  options.epochs = flags.epochs;
  options.resolution = flags.resolution;
  options.device = device_name(compute);
  options.train.batch_size = flags.batch;
  options.train.grad_accumulation = flags.accumulation;
  options.train.checkpoint_every = flags.checkpoint_every;
  options.train.lr = {.lr = flags.lr, .schedule = train::parse_lr_schedule(flags.schedule), .warmup_steps = 50};
  options.train.weight_decay = flags.weight_decay;
  options.train.seed = flags.seed;
  options.train.precision = compute.precision;
  options.train.auto_batch = compute.device == core::DeviceKind::cuda;  // a CPU out of memory cannot be caught
  const std::atomic<bool>& interrupted = interrupt_flag();
  xseg::XSegTrainResult result;
  {
    ProgressLine progress("training xseg", "steps", flags.events);
    result = xseg::train_xseg(options, &progress, &interrupted);
  }
  std::printf("xseg %s: %s at step %lld; held-out IoU %.3f, Dice %.3f (%zu faces trained on, %zu held out)\n",
              flags.output.c_str(), result.train.cancelled ? "stopped, resumable," : "trained",
              static_cast<long long>(result.train.step), result.held_out_iou, result.held_out_dice, result.train_faces,
              result.held_out_faces);
  return result.train.cancelled ? 130 : 0;
}

int run_train_identity(const GlobalOptions& global, const IdentityTrainFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  identity::IdentityTrainOptions options;
  options.dataset = flags.dataset;
  options.output = flags.output;
  options.base_model = base_diffusion_path(config, flags.model);
  options.tokenizer = flags.tokenizer;
  options.init = flags.init;
  options.resolution = flags.resolution;
  options.control = face::parse_control_image(flags.control);
  options.epochs = flags.epochs;
  options.prompt = flags.prompt;
  options.snr_gamma = flags.snr_gamma;
  options.gradient_checkpointing = !flags.keep_activations;
  options.sample_every = flags.sample_every;
  options.device = device_name(compute);
  options.train.batch_size = flags.batch;
  options.train.grad_accumulation = flags.accumulation;
  options.train.checkpoint_every = flags.checkpoint_every;
  options.train.lr = {.lr = flags.lr, .schedule = train::LrSchedule::constant, .warmup_steps = 100};
  options.train.max_grad_norm = 1.0;
  options.train.seed = flags.seed;
  options.train.precision = compute.precision;
  options.train.auto_batch = compute.device == core::DeviceKind::cuda;
  const std::atomic<bool>& interrupted = interrupt_flag();
  identity::IdentityTrainResult result;
  {
    ProgressLine progress("training identity", "steps", flags.events);
    result = identity::train_identity(options, &progress, &interrupted);
  }
  std::printf("identity adapter %s: %s at step %lld on %zu faces (%lld trainable parameters)\n", flags.output.c_str(),
              result.train.cancelled ? "stopped, resumable," : "trained", static_cast<long long>(result.train.step),
              result.faces, static_cast<long long>(result.trainable_parameters));
  return result.train.cancelled ? 130 : 0;
}

struct LoraTrainFlags {
  std::unique_ptr<SchemaFlags> options;
  std::string events;
  bool plan = false;
};

int run_train_lora(const GlobalOptions& global, const LoraTrainFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  const core::ComputeChoice compute = core::choose_compute(config.device, config.precision, config.threads);
  nlohmann::json values = flags.options->values();
  values["model"] = base_diffusion_path(config, values.value("model", "")).string();
  lora::LoraTrainOptions options = lora::lora_options_from_json(values);
  options.device = device_name(compute);
  options.train.precision = compute.precision;
  options.train.auto_batch = compute.device == core::DeviceKind::cuda;
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
  options.device = device_name(core::choose_compute(config.device, config.precision, config.threads));
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
  auto flags = std::make_shared<XSegTrainFlags>();
  auto* xseg = train->add_subcommand("xseg", "Train the occlusion mask on a target dataset (resumes when run again)");
  xseg->add_option("--dataset", flags->dataset, "the target dataset (watserface extract --target)")->required();
  xseg->add_option("--output", flags->output, "the XSeg model folder to write")->required();
  xseg->add_option("--epochs", flags->epochs, "passes over the training faces")->check(CLI::PositiveNumber);
  xseg->add_option("--resolution", flags->resolution, "network input size, a multiple of 32");
  xseg->add_option("--batch", flags->batch, "faces per optimizer step (on CUDA split to fit memory)")->check(CLI::PositiveNumber);
  xseg->add_option("--accumulation", flags->accumulation, "micro-batches per optimizer step")->check(CLI::PositiveNumber);
  xseg->add_option("--lr", flags->lr, "peak learning rate (AdamW)");
  xseg->add_option("--schedule", flags->schedule, "learning-rate schedule: cosine or constant");
  xseg->add_option("--weight-decay", flags->weight_decay, "AdamW weight decay");
  xseg->add_option("--seed", flags->seed, "seed of initialisation, order and augmentation");
  xseg->add_option("--checkpoint-every", flags->checkpoint_every, "steps between checkpoints (and one at the end)");
  xseg->add_option("--events", flags->events, "also append telemetry to this events.jsonl");
  xseg->callback([&global, &status, flags] { status = run_train_xseg(global, *flags); });
  auto identity_flags = std::make_shared<IdentityTrainFlags>();
  auto* identity = train->add_subcommand(
      "identity", "Train the identity adapter (InstantID-style IdentityNet + IP-Adapter) on the source dataset");
  identity->add_option("--dataset", identity_flags->dataset, "the source dataset (watserface extract --source)")->required();
  identity->add_option("--output", identity_flags->output, "the identity adapter folder to write")->required();
  identity->add_option("--model", identity_flags->model, "Stable Diffusion 1.5 (default: the one in the models folder)");
  identity->add_option("--tokenizer", identity_flags->tokenizer, "a diffusers tokenizer/ folder (single-file models)");
  identity->add_option("--init", identity_flags->init, "start from this adapter folder (ours, or InstantID's release)");
  identity->add_option("--epochs", identity_flags->epochs, "passes over the source faces")->check(CLI::PositiveNumber);
  identity->add_option("--resolution", identity_flags->resolution, "training size: 512, or 384/256 for small GPUs");
  identity->add_option("--batch", identity_flags->batch, "faces per micro-batch")->check(CLI::PositiveNumber);
  identity->add_option("--accumulation", identity_flags->accumulation, "micro-batches per optimizer step")->check(CLI::PositiveNumber);
  identity->add_option("--lr", identity_flags->lr, "learning rate (AdamW, constant after warm-up)");
  identity->add_option("--prompt", identity_flags->prompt, "the caption every face is trained with");
  identity->add_option("--control", identity_flags->control,
                       "the IdentityNet's control image: keypoints_5 (InstantID's) or face_mesh (478-point contours)");
  identity->add_option("--snr-gamma", identity_flags->snr_gamma, "min-SNR loss weighting (0 turns it off)");
  identity->add_option("--sample-every", identity_flags->sample_every, "steps between sample images in OUTPUT/samples (0: none)");
  identity->add_option("--seed", identity_flags->seed, "seed of initialisation, order and noise");
  identity->add_flag("--keep-activations", identity_flags->keep_activations,
                     "no gradient checkpointing: faster, needs much more memory");
  identity->add_option("--checkpoint-every", identity_flags->checkpoint_every, "steps between checkpoints (and one at the end)");
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
