#include "train/trainers/identity/identity_trainer.h"

#include <torch/torch.h>

#include "diffusion/identity_adapter.h"
#include "train/batch_size.h"
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

IdentityTrainOptions identity_train_options(const nlohmann::json& v, const core::ComputeChoice& compute) {
  auto path = [&](const char* key) { return std::filesystem::path(v.value(key, std::string())); };
  IdentityTrainOptions o;
  o.dataset = path("dataset");
  o.output = path("output");
  o.base_model = path("model");
  o.tokenizer = path("tokenizer");
  o.init = path("init");
  o.epochs = v.at("epochs");
  o.resolution = v.at("resolution");
  o.control = face::parse_control_image(v.at("control").get<std::string>());
  o.prompt = v.at("prompt");
  o.snr_gamma = v.at("snr_gamma");
  o.gradient_checkpointing = !v.at("keep_activations").get<bool>();
  o.sample_every = v.at("sample_every");
  if (v.contains("resampler")) o.resampler = diffusion::resampler_from_json(v.at("resampler"));
  o.device = compute.device == core::DeviceKind::cuda ? "cuda" : "cpu";
  train::set_batch(o.train, v.at("batch"), 6.0, 2, compute);
  o.train.grad_accumulation = v.at("accumulation");
  o.train.checkpoint_every = v.at("checkpoint_every");
  o.train.lr = {.lr = v.at("lr"), .schedule = train::LrSchedule::constant, .warmup_steps = v.at("warmup")};
  o.train.max_grad_norm = 1.0;
  o.train.seed = v.at("seed");
  o.train.precision = compute.precision;
  return o;
}

}  // namespace wf::identity
