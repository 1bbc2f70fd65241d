#pragma once
// One step of identity training (see identity_trainer.h), as a TrainTask for the shared loop: the frozen base
// model, the cached VAE latents and text context, and the trainable IdentityAdapter.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/events.h"
#include "diffusion/noise_schedule.h"
#include "diffusion/stable_diffusion.h"
#include "train/sample_order.h"
#include "train/train_loop.h"
#include "train/trainers/identity/identity_adapter.h"
#include "train/trainers/identity/identity_data.h"
#include "train/trainers/identity/identity_trainer.h"

namespace wf::identity {

class IdentityTask : public train::TrainTask {
 public:
  // Freezes `sd`'s models, caches the data's latents and the prompt's context, and builds (or, with
  // options.init, loads) the adapter from the seed.
  IdentityTask(const IdentityTrainOptions& options, const IdentityData& data, diffusion::StableDiffusion& sd,
               std::uint64_t seed);

  torch::nn::Module& model() override { return *adapter_; }
  at::Tensor loss(std::int64_t step, std::int64_t micro, std::int64_t batch_size) override;
  // The loss on up to eight faces with fixed noise and timesteps: a number that falls as the adapter learns.
  std::map<std::string, double> evaluate() override;

  IdentityAdapter& adapter() { return adapter_; }
  const IdentityAdapterInfo& info() const { return info_; }
  void set_effective_batch(std::int64_t samples) { effective_batch_ = samples; }
  const std::vector<std::filesystem::path>& samples() const { return samples_; }
  // Where sample images are announced (a `sample` event with the image's path), as the loop's phase.
  void set_events(core::EventSink* events, core::PhaseRef phase) {
    events_ = events;
    phase_ = std::move(phase);
  }

 private:
  at::Tensor diffusion_loss(const at::Tensor& index, const at::Tensor& x0, const at::Tensor& noise,
                            const at::Tensor& timesteps, double snr_gamma);
  void write_sample(std::int64_t step);

  const IdentityTrainOptions& options_;
  const IdentityData& data_;
  diffusion::StableDiffusion& sd_;
  torch::Device device_;
  diffusion::NoiseSchedule schedule_;
  at::Tensor text_, empty_text_, latents_;
  IdentityAdapterInfo info_;
  IdentityAdapter adapter_{nullptr};
  std::int64_t effective_batch_ = 1;
  train::SampleOrder order_;
  std::vector<std::filesystem::path> samples_;
  core::EventSink* events_ = nullptr;
  core::PhaseRef phase_;
};

}  // namespace wf::identity
