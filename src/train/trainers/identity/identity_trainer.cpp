#include "train/trainers/identity/identity_trainer.h"

#include <torch/torch.h>

#include "train/trainers/identity/identity_task.h"

namespace wf::identity {

IdentityTrainResult train_identity(const IdentityTrainOptions& options, core::EventSink* events,
                                   const std::atomic<bool>* cancel, std::optional<std::int64_t> stop_at) {
  const IdentityData data(options.dataset, options.resolution, options.control);  // fails before any model loads
  diffusion::StableDiffusion sd = denoising::load_base_model(options, "identity training");
  train::TrainSettings settings = options.train;
  const auto per_step = train::samples_per_step(settings);
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
  if (!result.train.primary) return result;  // rank 0 of a distributed run writes the adapter
  task.adapter()->to(torch::kCPU);
  diffusion::save_identity_adapter(options.output, *task.adapter(), task.info());
  result.samples = task.samples();
  return result;
}

}  // namespace wf::identity
