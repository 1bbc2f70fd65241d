#include "train/trainers/identity/identity_trainer.h"

#include <torch/torch.h>

#include "core/error.h"
#include "train/trainers/identity/identity_task.h"

namespace wf::identity {
namespace {
namespace fs = std::filesystem;

diffusion::StableDiffusion load_base_model(const IdentityTrainOptions& options) {
  if (options.base_model.empty() || !fs::exists(options.base_model)) {
    throw Error(ErrorCode::missing_model, "identity training needs Stable Diffusion 1.5, and it is not installed",
                options.base_model,
                "put a diffusers SD 1.5 folder in models/base_diffusion/stable-diffusion-v1-5/ (or one "
                "v1-5-pruned-emaonly.safetensors in models/base_diffusion/); the offline engine swaps without it");
  }
  diffusion::LoadOptions load;
  load.device = torch::Device(options.device);
  load.tokenizer_dir = options.tokenizer;
  // The frozen models in half precision on CUDA (the trainable adapter keeps fp32 master weights under autocast).
  if (load.device.is_cuda() && options.train.precision == core::Precision::bf16) load.dtype = at::kBFloat16;
  if (load.device.is_cuda() && options.train.precision == core::Precision::fp16) load.dtype = at::kHalf;
  return diffusion::StableDiffusion::load(options.base_model, load);
}

}  // namespace

IdentityTrainResult train_identity(const IdentityTrainOptions& options, core::EventSink* events,
                                   const std::atomic<bool>* cancel, std::optional<std::int64_t> stop_at) {
  const IdentityData data(options.dataset, options.resolution, options.control);  // fails before any model loads
  diffusion::StableDiffusion sd = load_base_model(options);
  train::TrainSettings settings = options.train;
  const auto per_step = settings.batch_size * settings.grad_accumulation;
  settings.steps_per_epoch = (static_cast<std::int64_t>(data.size()) + per_step - 1) / per_step;
  settings.steps = settings.steps_per_epoch * options.epochs;
  settings.phase = {"identity", settings.phase.index, settings.phase.count};
  IdentityTask task(options, data, sd, settings.seed);
  task.set_effective_batch(per_step);
  task.set_events(events, settings.phase);
  IdentityTrainResult result;
  result.faces = data.size();
  for (const auto& p : task.model().parameters()) result.trainable_parameters += p.numel();
  result.train = train::TrainLoop(task, settings, options.output / "checkpoints", events).run(cancel, stop_at);
  task.adapter()->to(torch::kCPU);
  save_identity_adapter(options.output, *task.adapter(), task.info());
  result.samples = task.samples();
  return result;
}

}  // namespace wf::identity
