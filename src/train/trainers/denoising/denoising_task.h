#pragma once
// What the diffusion trainers (identity, LoRA) share, as a TrainTask for the shared loop: the frozen base model,
// the faces' VAE latents encoded once, the step's faces, timesteps and noise drawn from (seed, step, micro-batch),
// the denoising loss against the scheduler's target (epsilon or v, optionally min-SNR weighted), a fixed-noise
// evaluation loss, and sample images announced as `sample` events. A trainer adds how the model predicts.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/events.h"
#include "diffusion/noise_schedule.h"
#include "diffusion/stable_diffusion.h"
#include "train/sample_order.h"
#include "train/train_loop.h"

namespace wf::denoising {

// What every diffusion trainer's options have; IdentityTrainOptions and LoraTrainOptions add their own.
struct DiffusionTrainOptions {
  std::filesystem::path base_model;    // SD 1.5: diffusers folder or single file
  std::filesystem::path tokenizer;     // for a single-file base model
  std::filesystem::path output;        // the trainer's folder (samples/ and checkpoints/ go inside)
  int resolution = 512;                // 256 or 384 for small GPUs
  double snr_gamma = 0;                // > 0: min-SNR weighting (Hang et al. 2023; 5 is the usual value)
  bool gradient_checkpointing = true;  // recompute the UNet's blocks in backward: less memory
  std::int64_t sample_every = 0;       // steps between sample images in output/samples (0: none)
  std::int64_t sample_steps = 20;
  train::TrainSettings train;
  std::string device = "cpu";
};

void freeze(torch::nn::Module& module);

// The base model `training` ("identity training", "LoRA training") learns on, on options.device; on CUDA in
// bf16 or fp16 (the trainable parts keep fp32 master weights under autocast). Throws missing_model naming where
// SD 1.5 goes when it is absent.
diffusion::StableDiffusion load_base_model(const DiffusionTrainOptions& options, const std::string& training);

class DenoisingTask : public train::TrainTask {
 public:
  // The faces' indices, timesteps and noise, drawn from (seed, step, micro).
  std::vector<at::Tensor> batch(std::int64_t step, std::int64_t micro, std::int64_t batch_size) final;
  at::Tensor loss(const train::Batch& batch) final;
  // The loss on up to eight faces with fixed noise and timesteps: a number that falls as the model learns.
  std::map<std::string, double> evaluate() final;

  void set_effective_batch(std::int64_t samples) { effective_batch_ = samples; }
  // Where sample images are announced (a `sample` event with the image's path), as the loop's phase.
  void set_events(core::EventSink* events, core::PhaseRef phase) {
    events_ = events;
    phase_ = std::move(phase);
  }
  const std::vector<std::filesystem::path>& samples() const { return samples_; }

 protected:
  // Refuses an inpainting base (the trainers learn on the standard UNet), freezes `sd`'s models and encodes
  // `images` ([N, 3, R, R] in [-1, 1]) to latents once.
  DenoisingTask(diffusion::StableDiffusion& sd, const DiffusionTrainOptions& options, const at::Tensor& images,
                std::uint64_t seed);

  // The model's prediction (epsilon or v, as the scheduler trains) for `noisy` latents of faces `index` at
  // `timesteps` (on the device).
  virtual at::Tensor predict(const at::Tensor& index, const at::Tensor& noisy, const at::Tensor& timesteps) = 0;
  // A sample image [1, 3, H, W] in [0, 1]; called without gradients, the trainable model in eval mode.
  virtual at::Tensor render_sample() = 0;

  diffusion::StableDiffusion& sd_;
  torch::Device device_;

 private:
  at::Tensor denoising_loss(const at::Tensor& index, const at::Tensor& x0, const at::Tensor& noise,
                            const at::Tensor& timesteps, double snr_gamma);
  void write_sample(std::int64_t step);

  const DiffusionTrainOptions& options_;
  diffusion::NoiseSchedule schedule_;
  at::Tensor latents_;
  train::SampleOrder order_;
  std::uint64_t seed_;
  std::int64_t effective_batch_ = 1;
  std::vector<std::filesystem::path> samples_;
  core::EventSink* events_ = nullptr;
  core::PhaseRef phase_;
};

}  // namespace wf::denoising
