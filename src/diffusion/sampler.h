#pragma once
// Samplers that walk a noise schedule backwards, as diffusers' schedulers do (same timesteps, sigmas and
// update rules, so the same model gives the same images): DDIM, Euler, Euler ancestral and
// DPM-Solver++ 2M, each optionally on Karras sigmas.
//
// Use: set_timesteps(n); x = noise * init_noise_sigma(); for i in 0..n-1:
//   out = unet(scale_model_input(x, i), timesteps()[i]); x = step(out, i, x).

#include <ATen/core/Tensor.h>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "diffusion/noise_schedule.h"

namespace wf::diffusion {

class Sampler {
 public:
  explicit Sampler(const SchedulerConfig& config) : schedule_(config) {}
  virtual ~Sampler() = default;

  virtual void set_timesteps(std::int64_t steps) = 0;
  const std::vector<double>& timesteps() const { return timesteps_; }
  // Sigma-space samplers: the noise level at each timestep, and 0 at the end (empty for DDIM).
  const std::vector<double>& sigmas() const { return sigmas_; }
  virtual double init_noise_sigma() const { return 1.0; }
  virtual at::Tensor scale_model_input(const at::Tensor& x, std::size_t /*index*/) const { return x; }
  // A clean sample noised to the level of timesteps()[index] (img2img's start, inpainting's known region).
  virtual at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, std::size_t index) const;
  // From timesteps()[index] to the next one (or to the clean sample after the last).
  virtual at::Tensor step(const at::Tensor& model_output, std::size_t index, const at::Tensor& x,
                          std::optional<at::Generator> generator = std::nullopt) = 0;

 protected:
  NoiseSchedule schedule_;
  std::vector<double> timesteps_, sigmas_;
};

// "ddim", "euler", "euler_a", "dpmpp_2m"; Karras sigmas when the config asks for them (not for DDIM).
std::unique_ptr<Sampler> make_sampler(std::string_view name, const SchedulerConfig& config);

// Timesteps for `steps` sampling steps under a spacing (diffusers' set_timesteps, first to last).
std::vector<double> spaced_timesteps(const SchedulerConfig& config, TimestepSpacing spacing, std::int64_t steps);
// Karras et al. (2022) noise levels between sigma_max and sigma_min, rho = 7.
std::vector<double> karras_sigmas(double sigma_min, double sigma_max, std::int64_t steps);

}  // namespace wf::diffusion
