#include "train/train_loop.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/compute_dtype.h"
#include "core/error.h"
#include "core/json_number.h"
#include "core/prefetch_queue.h"
#include "core/progress.h"
#include "core/torch_compat.h"
#include "train/adamw_state.h"
#include "train/checkpoint_store.h"
#include "core/process_group.h"
#include "train/loss_scaler.h"

namespace wf::train {
namespace {

// Puts the model in eval mode for its lifetime, back in train mode after.
class EvalMode {
 public:
  explicit EvalMode(torch::nn::Module& model) : model_(model) { model_.eval(); }
  ~EvalMode() { model_.train(); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  torch::nn::Module& model_;
};

nlohmann::json settings_json(const TrainSettings& s) {
  return {{"steps", s.steps},
          {"batch_size", s.batch_size},
          {"grad_accumulation", s.grad_accumulation},
          {"lr", s.lr.lr},
          {"lr_schedule", std::string(to_string(s.lr.schedule))},
          {"warmup_steps", s.lr.warmup_steps},
          {"weight_decay", s.weight_decay},
          {"max_grad_norm", s.max_grad_norm},
          {"seed", s.seed},
          {"precision", std::string(core::to_string(s.precision))}};
}

std::string metrics_text(const std::map<std::string, double>& metrics) {
  return nlohmann::json(metrics).dump();
}

// Half-precision autocast as the settings ask, on CUDA only (the frozen models may be bf16/fp16 there).
bool uses_autocast(const TrainSettings& settings, const std::vector<at::Tensor>& parameters) {
  const bool on_cuda = !parameters.empty() && parameters.front().is_cuda();
  return core::compute_dtype(settings.precision, on_cuda) != at::kFloat;
}

at::ScalarType half_type(const TrainSettings& settings) {
  return core::compute_dtype(settings.precision, true);
}

// Every rank's copy of the model becomes rank 0's (an initialisation or a checkpoint only rank 0 could read).
void broadcast_model(core::ProcessGroup& group, torch::nn::Module& model) {
  const torch::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const auto& [name, tensor] : core::module_state(model)) tensors.push_back(tensor);
  group.broadcast(tensors);
}

// Whether every rank holds the same value; each rank learns the same answer, so all stop together or none does.
bool same_everywhere(core::ProcessGroup& group, std::int64_t value) {
  const at::Tensor high = at::full({1}, static_cast<double>(value), at::kDouble), low = -high;
  group.all_reduce({high}, core::Reduce::max);
  group.all_reduce({low}, core::Reduce::max);
  return high.item<double>() == -low.item<double>();
}

// settings.<key> of a checkpoint's trainer_state.json, a count of at least 1; throws wf::Error(corrupt_file) naming
// the file for anything else.
std::int64_t saved_count(const Checkpoint& checkpoint, const char* key, const std::filesystem::path& checkpoints) {
  const auto damaged = [&](const std::string& what) {
    return Error(ErrorCode::corrupt_file, "this checkpoint's state is damaged: " + what, checkpoint.state_file,
                 "delete " + checkpoints.string() + " to train from the start");
  };
  const std::string name = std::string("settings.") + key;
  const nlohmann::json settings = checkpoint.state.value("settings", nlohmann::json());
  if (!settings.is_object() || !settings.contains(key)) throw damaged(name + " is missing");
  std::int64_t count = 0;
  try {
    count = core::json_number<std::int64_t>(settings.at(key), name);
  } catch (const Error& e) {
    throw damaged(e.message());
  }
  if (count < 1) throw damaged(name + " is " + std::to_string(count) + ", below 1");
  return count;
}

}  // namespace

std::int64_t samples_per_step(const TrainSettings& settings) {
  const core::ProcessGroup* group = core::process_group();
  return settings.batch_size * settings.grad_accumulation * (group ? group->world_size() : 1);
}

std::uint64_t step_seed(std::uint64_t seed, std::int64_t step, std::int64_t micro) {
  // splitmix64 of the three numbers: nearby steps get unrelated seeds.
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(step) * 0xBF58476D1CE4E5B9ULL +
                    static_cast<std::uint64_t>(micro) * 0x94D049BB133111EBULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

TrainSettings fit_batch_to_memory(TrainTask& task, TrainSettings settings) {
  const std::int64_t effective = settings.batch_size * settings.grad_accumulation;
  const core::CudaAutocast amp(uses_autocast(settings, task.model().parameters()), half_type(settings));
  for (std::int64_t batch = settings.batch_size; batch >= 1; batch /= 2) {
    try {
      torch::manual_seed(step_seed(settings.seed, 0, 0));
      task.loss_at(0, 0, batch).backward();
      task.model().zero_grad();
      settings.batch_size = batch;
      settings.grad_accumulation = (effective + batch - 1) / batch;
      return settings;
    } catch (const c10::OutOfMemoryError&) {
      task.model().zero_grad();
      core::release_cached_cuda_memory();
    }
  }
  throw Error(ErrorCode::out_of_memory, "not even one sample fits in memory for a training step", {},
              "lower the resolution, or train on a device with more memory");
}

TrainLoop::TrainLoop(TrainTask& task, TrainSettings settings, std::filesystem::path checkpoints,
                     core::EventSink* events)
    : task_(task), settings_(std::move(settings)), checkpoints_(std::move(checkpoints)), events_(events) {
  if (settings_.steps < 1 || settings_.batch_size < 1 || settings_.grad_accumulation < 1) {
    throw Error(ErrorCode::invalid_input,
                "training needs at least one step, a batch of one and one micro-batch per step");
  }
  settings_.lr.total_steps = settings_.steps;
}

TrainResult TrainLoop::run(const std::atomic<bool>* cancel, std::optional<std::int64_t> stop_at) {
  torch::nn::Module& model = task_.model();
  model.train();
  const auto parameters = model.parameters();
  torch::optim::AdamW optimizer(parameters,
                                torch::optim::AdamWOptions(settings_.lr.lr).weight_decay(settings_.weight_decay));
  const CheckpointStore store(checkpoints_);
  core::ProcessGroup* group = core::process_group();
  const int rank = group ? group->rank() : 0, world = group ? group->world_size() : 1;
  core::EventSink* events = rank == 0 ? events_ : nullptr;  // one rank speaks for the run
  TrainResult result;
  result.primary = rank == 0;
  if (auto checkpoint = store.load_latest()) {
    core::load_state_dict(model, checkpoint->model, true, store.folder());
    restore_adamw_state(optimizer, model, checkpoint->optimizer);
    result.step = checkpoint->step;
    // The micro-batch the first run settled on, so the resumed run sees the same batches.
    settings_.batch_size = saved_count(*checkpoint, "batch_size", store.folder());
    settings_.grad_accumulation = saved_count(*checkpoint, "grad_accumulation", store.folder());
  } else if (settings_.auto_batch) {
    settings_ = fit_batch_to_memory(task_, settings_);
    if (group) {  // the micro-batch the smallest rank fits
      const std::int64_t effective = settings_.batch_size * settings_.grad_accumulation;
      const at::Tensor batch = at::full({1}, static_cast<double>(settings_.batch_size), at::kDouble);
      group->all_reduce({batch}, core::Reduce::min);
      settings_.batch_size = static_cast<std::int64_t>(batch.item<double>());
      settings_.grad_accumulation = (effective + settings_.batch_size - 1) / settings_.batch_size;
    }
  }
  if (group) {
    if (!same_everywhere(*group, result.step)) {
      throw Error(ErrorCode::invalid_input,
                  "rank " + std::to_string(rank) + " would resume at step " + std::to_string(result.step) +
                      ", and not every rank would",
                  store.folder(), "keep the checkpoints folder on storage every rank sees, or delete it everywhere");
    }
    broadcast_model(*group, model);
  }
  const std::int64_t micros = settings_.grad_accumulation * world;  // in one optimizer step, over all ranks
  const bool on_cuda = !parameters.empty() && parameters.front().is_cuda();
  const bool autocast = uses_autocast(settings_, parameters);
  LossScaler scaler(on_cuda && settings_.precision == core::Precision::fp16);
  const std::int64_t end = std::min(settings_.steps, stop_at.value_or(settings_.steps));

  auto checkpoint = [&] {
    if (rank != 0) return;
    store.save({result.step,
                core::module_state(model),
                adamw_state(optimizer, model),
                {{"settings", settings_json(settings_)}, {"loss", result.loss}}});
    if (!events) return;
    core::Event event;
    event.phase = settings_.phase;
    event.kind = core::EventKind::checkpoint;
    event.step = result.step;
    event.message = store.folder().string();
    events->emit(event);
  };
  auto emit = [&](core::Event event) {
    if (events) events->emit(event);
  };
  core::Event start;
  start.phase = settings_.phase;
  start.kind = core::EventKind::phase_start;
  start.step = result.step;
  start.steps = settings_.steps;
  emit(start);

  const core::ProgressMeter meter(settings_.phase, end - result.step);
  const std::int64_t first_step = result.step;
  // The loader: this rank's micro-batches of every step still to run, in the order they train.
  std::function<std::optional<Batch>()> make_batch = [&, next_step = first_step,
                                                      next_local = std::int64_t{0}]() mutable -> std::optional<Batch> {
    if (next_step >= end) return std::nullopt;
    const std::int64_t micro = rank * settings_.grad_accumulation + next_local;
    Batch batch{next_step, micro, task_.batch(next_step, micro, settings_.batch_size)};
    if (on_cuda) {
      for (auto& tensor : batch.tensors) tensor = tensor.pin_memory();
    }
    if (++next_local == settings_.grad_accumulation) ++next_step, next_local = 0;
    return batch;
  };
  std::optional<core::PrefetchQueue<Batch>> loader;
  const std::int64_t ahead = settings_.loader_ahead >= 0 ? settings_.loader_ahead : (on_cuda ? 2 : 0);
  if (ahead > 0) loader.emplace(make_batch, static_cast<std::size_t>(ahead));
  auto next_batch = [&] { return loader ? *loader->next() : *make_batch(); };
  while (result.step < end) {
    bool stop = cancel && cancel->load();
    if (group) {  // a rank told to stop stops them all, at the same step
      const at::Tensor any = at::full({1}, stop ? 1.0 : 0.0, at::kDouble);
      group->all_reduce({any}, core::Reduce::max);
      stop = any.item<double>() > 0;
    }
    if (stop) {
      result.cancelled = true;
      break;
    }
    const double lr = learning_rate(settings_.lr, result.step);
    for (auto& param_group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(param_group.options()).lr(lr);
    optimizer.zero_grad();
    double step_loss = 0;
    for (std::int64_t local = 0; local < settings_.grad_accumulation; ++local) {
      const Batch batch = next_batch();  // micro-batch rank * A + local: its place among all ranks'
      torch::manual_seed(step_seed(settings_.seed, batch.step, batch.micro));
      at::Tensor loss;
      {
        const core::CudaAutocast amp(autocast, half_type(settings_));
        loss = task_.loss(batch) / static_cast<double>(micros);
      }
      const double value = loss.item<double>();
      step_loss += value;
      if (std::isfinite(value)) scaler.scale(loss).backward();
    }
    if (group) {
      const at::Tensor total = at::full({1}, step_loss, at::kDouble);
      group->all_reduce({total});  // a NaN anywhere is a NaN everywhere
      step_loss = total.item<double>();
    }
    if (!std::isfinite(step_loss)) {
      throw Error(ErrorCode::invalid_input,
                  "the loss became " + std::to_string(step_loss) + " at step " + std::to_string(result.step + 1) +
                      "; the last good checkpoint is kept",
                  store.folder(), "lower the learning rate, or check the training data for empty or broken samples");
    }
    if (group) {
      std::vector<at::Tensor> gradients;
      for (const auto& parameter : parameters) {
        if (parameter.grad().defined()) gradients.push_back(parameter.grad());
      }
      group->all_reduce(gradients);
    }
    const bool finite = scaler.unscale(parameters);
    if (finite) {
      if (settings_.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(parameters, settings_.max_grad_norm);
      optimizer.step();
    }
    scaler.update(finite);
    ++result.step;
    result.loss = step_loss;

    core::Event event = meter.step(result.step - first_step);
    event.step = result.step;
    event.steps = settings_.steps;
    event.loss = step_loss;
    event.lr = lr;
    if (settings_.steps_per_epoch > 0) {
      event.epoch = (result.step - 1) / settings_.steps_per_epoch + 1;
      event.epochs = (settings_.steps + settings_.steps_per_epoch - 1) / settings_.steps_per_epoch;
    }
    emit(event);
    if (rank == 0 && settings_.steps_per_epoch > 0 &&
        (result.step % settings_.steps_per_epoch == 0 || result.step == settings_.steps)) {
      {
        const EvalMode eval(model);
        const torch::NoGradGuard no_grad;
        const core::CudaAutocast amp(autocast, half_type(settings_));
        result.metrics = task_.evaluate();
      }
      core::Event epoch = event;
      epoch.kind = core::EventKind::epoch;
      epoch.message = metrics_text(result.metrics);
      emit(epoch);
    }
    if (settings_.checkpoint_every > 0 && result.step % settings_.checkpoint_every == 0 && result.step < end)
      checkpoint();
  }
  checkpoint();
  core::Event done;
  done.phase = settings_.phase;
  done.kind = core::EventKind::phase_end;
  done.step = result.step;
  done.steps = settings_.steps;
  done.loss = result.loss;
  done.message = result.cancelled ? "cancelled" : metrics_text(result.metrics);
  emit(done);
  return result;
}

}  // namespace wf::train
