#pragma once
// The forward (noising) process of DDPM: betas and cumulative alphas from a scheduler config, and what
// training needs from it — noisy latents at a timestep and the target the UNet learns (the noise for
// epsilon prediction, the velocity for v-prediction).

#include <ATen/core/Tensor.h>

#include "diffusion/scheduler_config.h"

namespace wf::diffusion {

class NoiseSchedule {
 public:
  explicit NoiseSchedule(const SchedulerConfig& config);

  const SchedulerConfig& config() const { return config_; }
  const at::Tensor& betas() const { return betas_; }                    // float64, [num_train_timesteps]
  const at::Tensor& alphas_cumprod() const { return alphas_cumprod_; }  // float64
  double alpha_cumprod(std::int64_t t) const;

  // sqrt(a_t) x0 + sqrt(1 - a_t) noise, per batch element's timestep.
  at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, const at::Tensor& timesteps) const;
  // sqrt(a_t) noise - sqrt(1 - a_t) x0.
  at::Tensor velocity(const at::Tensor& x0, const at::Tensor& noise, const at::Tensor& timesteps) const;
  // The UNet's training target for this schedule's prediction type.
  at::Tensor training_target(const at::Tensor& x0, const at::Tensor& noise, const at::Tensor& timesteps) const;

 private:
  SchedulerConfig config_;
  at::Tensor betas_, alphas_cumprod_;
};

}  // namespace wf::diffusion
