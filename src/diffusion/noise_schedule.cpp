#include "diffusion/noise_schedule.h"

#include <ATen/ATen.h>

namespace wf::diffusion {
namespace {

// a_t for each batch element, shaped to broadcast over [N, C, H, W].
at::Tensor per_sample(const at::Tensor& alphas_cumprod, const at::Tensor& timesteps, const at::Tensor& like) {
  at::Tensor a = alphas_cumprod.index_select(0, timesteps.to(at::kLong).cpu()).to(like.options());
  while (a.dim() < like.dim()) a = a.unsqueeze(-1);
  return a;
}

}  // namespace

NoiseSchedule::NoiseSchedule(const SchedulerConfig& config) : config_(config) {
  const auto n = config.num_train_timesteps;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  if (config.beta_schedule == "scaled_linear") {
    betas_ = at::linspace(std::sqrt(config.beta_start), std::sqrt(config.beta_end), n, f64).pow(2);
  } else {
    betas_ = at::linspace(config.beta_start, config.beta_end, n, f64);
  }
  alphas_cumprod_ = (1 - betas_).cumprod(0);
}

double NoiseSchedule::alpha_cumprod(std::int64_t t) const { return alphas_cumprod_[t].item<double>(); }

at::Tensor NoiseSchedule::add_noise(const at::Tensor& x0, const at::Tensor& noise, const at::Tensor& timesteps) const {
  const at::Tensor a = per_sample(alphas_cumprod_, timesteps, x0);
  return a.sqrt() * x0 + (1 - a).sqrt() * noise;
}

at::Tensor NoiseSchedule::velocity(const at::Tensor& x0, const at::Tensor& noise, const at::Tensor& timesteps) const {
  const at::Tensor a = per_sample(alphas_cumprod_, timesteps, x0);
  return a.sqrt() * noise - (1 - a).sqrt() * x0;
}

at::Tensor NoiseSchedule::training_target(const at::Tensor& x0, const at::Tensor& noise, const at::Tensor& timesteps) const {
  switch (config_.prediction_type) {
    case PredictionType::epsilon: return noise;
    case PredictionType::v_prediction: return velocity(x0, noise, timesteps);
    case PredictionType::sample: return x0;
  }
  return noise;
}

}  // namespace wf::diffusion
