#pragma once
// The training loop every trainer shares (XSeg, identity, LoRA): AdamW with a warm-up + cosine or constant
// learning rate, gradient accumulation, optional gradient clipping, mixed precision on CUDA (bf16, or fp16
// with dynamic loss scaling), a checkpoint every N steps and at stop, exact resume, cancel at any time,
// and telemetry (step and epoch events). A NaN loss stops training with the last good checkpoint kept.
//
// Across processes and machines (core/process_group.h), each rank computes its share of a step's micro-batches.
//
// Exact resume works because nothing random is carried between steps: before each micro-batch the loop
// seeds libtorch's generator from (seed, step, micro-batch), and tasks derive their own randomness (data
// order, augmentation, noise) from the same numbers. On CUDA a loader thread makes the next micro-batches' data
// while one trains, pinned, so reading and augmenting overlaps the forward and backward passes.

#include <torch/nn/module.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/events.h"
#include "train/lr_schedule.h"

namespace wf::train {

struct TrainSettings {
  std::int64_t steps = 1000;           // optimizer steps in all
  std::int64_t batch_size = 8;         // samples per micro-batch
  bool auto_batch = false;             // halve the micro-batch until a step fits in memory, keeping
                                       // batch_size x grad_accumulation by accumulating more
  std::int64_t grad_accumulation = 1;  // micro-batches per optimizer step
  std::int64_t steps_per_epoch = 0;    // > 0: an epoch event (with the task's metrics) after every epoch
  LrSettings lr;                       // total_steps is taken from `steps`
  double weight_decay = 1e-2;
  double max_grad_norm = 0;           // 0: no clipping
  std::int64_t checkpoint_every = 0;  // 0: only when training stops
  std::uint64_t seed = 0;
  core::Precision precision = core::Precision::fp32;  // bf16 / fp16 autocast on CUDA only
  // Micro-batches the loader thread makes ahead; 0: each on the training thread, just before it trains. < 0: 2 on
  // CUDA, 0 on the CPU, where a loader thread takes cores from libtorch's own threads and slows a step down
  // (bench/README.md).
  std::int64_t loader_ahead = -1;
  core::PhaseRef phase{"train", 1, 1};
};

// One micro-batch's data, as TrainTask::batch made it.
struct Batch {
  std::int64_t step = 0, micro = 0;
  std::vector<at::Tensor> tensors;  // in the task's own order
};

class TrainTask {
 public:
  virtual ~TrainTask() = default;
  virtual torch::nn::Module& model() = 0;
  // The data of micro-batch `micro` of optimizer step `step` as host tensors: samples read and augmented, noise
  // drawn. The loop calls it on a loader thread while earlier micro-batches train, so it must follow from
  // (seed, step, micro) alone, draw from generators of its own (seeded with step_seed), never libtorch's global
  // one, and leave the model alone.
  virtual std::vector<at::Tensor> batch(std::int64_t step, std::int64_t micro, std::int64_t batch_size) = 0;
  // The loss of that data, in training mode, on the training thread; libtorch's generator is seeded from (seed,
  // step, micro) first. On CUDA the tensors are pinned: copies to the device may be non-blocking.
  virtual at::Tensor loss(const Batch& batch) = 0;
  // Both on this thread: the loss of micro-batch `micro` of step `step` (the batch fitter, tests, benchmarks).
  at::Tensor loss_at(std::int64_t step, std::int64_t micro, std::int64_t batch_size) {
    return loss({step, micro, batch(step, micro, batch_size)});
  }
  // Held-out metrics after an epoch (the model is put in eval mode around the call).
  virtual std::map<std::string, double> evaluate() { return {}; }
};

struct TrainResult {
  std::int64_t step = 0;  // optimizer steps done, including those of earlier runs
  double loss = 0;        // the last step's loss
  bool cancelled = false;
  std::map<std::string, double> metrics;  // the last evaluation
  bool primary = true;  // false on ranks other than 0 of a distributed run (core/process_group.h): they write nothing
};

class TrainLoop {
 public:
  // `checkpoints`: the folder of CheckpointStore; a run resumes from the latest checkpoint found there.
  TrainLoop(TrainTask& task, TrainSettings settings, std::filesystem::path checkpoints,
            core::EventSink* events = nullptr);

  // Trains until `settings.steps` (or `stop_at` steps, for tests and staged runs) or until `cancel` turns
  // true, then checkpoints. Throws wf::Error(invalid_input) on a non-finite loss, after the last good
  // checkpoint was kept.
  TrainResult run(const std::atomic<bool>* cancel = nullptr, std::optional<std::int64_t> stop_at = std::nullopt);

 private:
  TrainTask& task_;
  TrainSettings settings_;
  std::filesystem::path checkpoints_;
  core::EventSink* events_;
};

// The largest micro-batch, from `settings.batch_size` down by halves, whose forward and backward pass runs
// without running out of memory; the settings come back with grad_accumulation raised to keep the
// effective batch. Throws wf::Error(out_of_memory) when even one sample does not fit.
TrainSettings fit_batch_to_memory(TrainTask& task, TrainSettings settings);

// The samples one optimizer step takes: micro-batch x accumulation x the ranks of a distributed run. Micro-batch
// `micro` of step `step` takes samples step * samples_per_step + micro * batch_size onwards.
std::int64_t samples_per_step(const TrainSettings& settings);

// The seed of micro-batch `micro` of step `step`: the same in every run with the same settings.
std::uint64_t step_seed(std::uint64_t seed, std::int64_t step, std::int64_t micro);

}  // namespace wf::train
