#include "diffusion/sampler.h"

#include <ATen/ATen.h>

#include <cmath>

#include "core/error.h"

namespace wf::diffusion {

std::vector<double> spaced_timesteps(const SchedulerConfig& config, TimestepSpacing spacing, std::int64_t steps) {
  const auto n = config.num_train_timesteps;
  if (steps < 1 || steps > n) {
    throw Error(ErrorCode::invalid_input, "sampling steps must be between 1 and " + std::to_string(n));
  }
  std::vector<double> t;
  switch (spacing) {
    case TimestepSpacing::leading: {
      const std::int64_t ratio = n / steps;
      for (std::int64_t i = steps - 1; i >= 0; --i) t.push_back(static_cast<double>(i * ratio + config.steps_offset));
      break;
    }
    case TimestepSpacing::linspace:
      for (std::int64_t i = steps - 1; i >= 0; --i) {
        t.push_back(steps == 1 ? 0.0 : static_cast<double>(n - 1) * static_cast<double>(i) / static_cast<double>(steps - 1));
      }
      break;
    case TimestepSpacing::trailing: {
      const double ratio = static_cast<double>(n) / static_cast<double>(steps);
      for (std::int64_t i = 0; i < steps; ++i) t.push_back(std::round(static_cast<double>(n) - static_cast<double>(i) * ratio) - 1);
      break;
    }
  }
  return t;
}

std::vector<double> karras_sigmas(double sigma_min, double sigma_max, std::int64_t steps) {
  constexpr double rho = 7.0;
  const double min_inv = std::pow(sigma_min, 1 / rho), max_inv = std::pow(sigma_max, 1 / rho);
  std::vector<double> sigmas;
  for (std::int64_t i = 0; i < steps; ++i) {
    const double ramp = steps == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(steps - 1);
    sigmas.push_back(std::pow(max_inv + ramp * (min_inv - max_inv), rho));
  }
  return sigmas;
}

namespace {

// x0 and the noise it implies, from a model output under the schedule's prediction type (alpha space).
std::pair<at::Tensor, at::Tensor> split_alpha(PredictionType type, const at::Tensor& out, const at::Tensor& x, double a) {
  const double sa = std::sqrt(a), sb = std::sqrt(1 - a);
  switch (type) {
    case PredictionType::epsilon: return {(x - sb * out) / sa, out};
    case PredictionType::v_prediction: return {sa * x - sb * out, sa * out + sb * x};
    case PredictionType::sample: return {out, (x - sa * out) / sb};
  }
  return {out, out};
}

// x0 from a model output in sigma space (x = x0 + sigma * noise, inputs scaled by 1 / sqrt(sigma^2 + 1)).
at::Tensor x0_sigma(PredictionType type, const at::Tensor& out, const at::Tensor& x, double sigma) {
  switch (type) {
    case PredictionType::epsilon: return x - sigma * out;
    case PredictionType::v_prediction: return out * (-sigma / std::sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
    case PredictionType::sample: return out;
  }
  return out;
}

class DdimSampler final : public Sampler {
 public:
  using Sampler::Sampler;
  void set_timesteps(std::int64_t steps) override {
    steps_ = steps;
    timesteps_ = spaced_timesteps(schedule_.config(), schedule_.config().timestep_spacing.value_or(TimestepSpacing::leading), steps);
  }
  at::Tensor step(const at::Tensor& out, std::size_t i, const at::Tensor& x, std::optional<at::Generator>) override {
    const auto t = static_cast<std::int64_t>(timesteps_.at(i));
    const std::int64_t previous = t - schedule_.config().num_train_timesteps / steps_;
    const double a = schedule_.alpha_cumprod(t);
    const double a_prev = previous >= 0 ? schedule_.alpha_cumprod(previous)
                                        : (schedule_.config().set_alpha_to_one ? 1.0 : schedule_.alpha_cumprod(0));
    const auto [x0, noise] = split_alpha(schedule_.config().prediction_type, out, x, a);
    return std::sqrt(a_prev) * x0 + std::sqrt(1 - a_prev) * noise;
  }

 private:
  std::int64_t steps_ = 1;
};

// Euler, Euler ancestral and DPM-Solver++ share the sigma ladder.
class SigmaSampler : public Sampler {
 public:
  using Sampler::Sampler;
  double init_noise_sigma() const override {
    const double max_sigma = sigmas_.front();
    const auto spacing = schedule_.config().timestep_spacing.value_or(TimestepSpacing::linspace);
    return spacing == TimestepSpacing::leading ? std::sqrt(max_sigma * max_sigma + 1) : max_sigma;
  }
  at::Tensor scale_model_input(const at::Tensor& x, std::size_t i) const override {
    return x / std::sqrt(sigmas_.at(i) * sigmas_.at(i) + 1);
  }
  at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, std::size_t i) const override {
    return x0 + noise * sigmas_.at(i);
  }

 protected:
  // Sigmas at `timesteps` (interpolated on the training ladder), or Karras sigmas and their timesteps.
  void ladder(std::vector<double> timesteps) {
    const at::Tensor a = schedule_.alphas_cumprod();
    const at::Tensor full = ((1 - a) / a).sqrt();
    const double* s = full.data_ptr<double>();
    const auto n = full.size(0);
    auto at_t = [&](double t) {
      const auto low = std::min<std::int64_t>(static_cast<std::int64_t>(std::floor(t)), n - 1);
      const auto high = std::min<std::int64_t>(low + 1, n - 1);
      const double w = t - static_cast<double>(low);
      return (1 - w) * s[low] + w * s[high];
    };
    sigmas_.clear();
    for (double t : timesteps) sigmas_.push_back(at_t(t));
    if (schedule_.config().use_karras_sigmas) {
      sigmas_ = karras_sigmas(sigmas_.back(), sigmas_.front(), static_cast<std::int64_t>(timesteps.size()));
      timesteps.clear();
      const at::Tensor log_sigmas = full.log();
      const double* ls = log_sigmas.data_ptr<double>();
      for (double sigma : sigmas_) {  // the fractional training timestep with this sigma (log-linear)
        const double l = std::log(sigma);
        std::int64_t low = 0;
        for (std::int64_t k = 0; k < n; ++k) {
          if (l - ls[k] >= 0) low = k;
        }
        low = std::min<std::int64_t>(low, n - 2);
        const double w = std::clamp((ls[low] - l) / (ls[low] - ls[low + 1]), 0.0, 1.0);
        timesteps.push_back((1 - w) * static_cast<double>(low) + w * static_cast<double>(low + 1));
      }
    }
    timesteps_ = timesteps;
    sigmas_.push_back(0.0);
  }
};

class EulerSampler final : public SigmaSampler {
 public:
  EulerSampler(const SchedulerConfig& config, bool ancestral) : SigmaSampler(config), ancestral_(ancestral) {}
  void set_timesteps(std::int64_t steps) override {
    ladder(spaced_timesteps(schedule_.config(), schedule_.config().timestep_spacing.value_or(TimestepSpacing::linspace), steps));
  }
  at::Tensor step(const at::Tensor& out, std::size_t i, const at::Tensor& x, std::optional<at::Generator> generator) override {
    const double sigma = sigmas_.at(i), next = sigmas_.at(i + 1);
    const at::Tensor derivative = (x - x0_sigma(schedule_.config().prediction_type, out, x, sigma)) / sigma;
    if (!ancestral_) return x + derivative * (next - sigma);
    const double up = std::sqrt(next * next * (sigma * sigma - next * next) / (sigma * sigma));
    const double down = std::sqrt(next * next - up * up);
    // Drawn on the CPU in fp32, so a seed gives the same image on every device.
    const at::Tensor cpu = generator ? at::randn(x.sizes(), *generator, at::TensorOptions(at::kFloat))
                                     : at::randn(x.sizes(), at::TensorOptions(at::kFloat));
    const at::Tensor noise = cpu.to(x.options());
    return x + derivative * (down - sigma) + noise * up;
  }

 private:
  bool ancestral_;
};

// DPM-Solver++ (2M): second-order multistep on x0 predictions, first order on the first and last steps.
// It works in alpha space (x = alpha x0 + sigma_t noise, alpha = 1 / sqrt(sigma^2 + 1)), so the UNet's input
// needs no scaling and the starting noise no multiplier.
class DpmSolver2MSampler final : public SigmaSampler {
 public:
  using SigmaSampler::SigmaSampler;
  double init_noise_sigma() const override { return 1.0; }
  at::Tensor scale_model_input(const at::Tensor& x, std::size_t) const override { return x; }
  at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, std::size_t i) const override {
    const double alpha = 1 / std::sqrt(sigmas_.at(i) * sigmas_.at(i) + 1);
    return alpha * x0 + alpha * sigmas_.at(i) * noise;
  }
  void set_timesteps(std::int64_t steps) override {
    const auto& config = schedule_.config();
    const auto spacing = config.timestep_spacing.value_or(TimestepSpacing::linspace);
    std::vector<double> t;
    if (spacing == TimestepSpacing::linspace) {  // n + 1 points, rounded, the last (0) dropped
      const auto n = config.num_train_timesteps;
      for (std::int64_t i = steps; i >= 1; --i) {
        t.push_back(std::round(static_cast<double>(n - 1) * static_cast<double>(i) / static_cast<double>(steps)));
      }
    } else if (spacing == TimestepSpacing::leading) {
      const std::int64_t ratio = config.num_train_timesteps / (steps + 1);
      for (std::int64_t i = steps; i >= 1; --i) t.push_back(static_cast<double>(i * ratio + config.steps_offset));
    } else {
      t = spaced_timesteps(config, spacing, steps);
    }
    ladder(t);
    if (config.use_karras_sigmas) {
      for (auto& value : timesteps_) value = std::round(value);
    }
    previous_x0_.reset();
  }
  at::Tensor step(const at::Tensor& out, std::size_t i, const at::Tensor& x, std::optional<at::Generator>) override {
    const double sigma = sigmas_.at(i), next = sigmas_.at(i + 1);
    const double alpha_s = 1 / std::sqrt(sigma * sigma + 1), sigma_s = sigma * alpha_s;
    const at::Tensor x0 = split_alpha(schedule_.config().prediction_type, out, x, alpha_s * alpha_s).first;
    const double alpha_t = 1 / std::sqrt(next * next + 1), sigma_t = next * alpha_t;
    at::Tensor result;
    if (next == 0) {
      result = x0;  // the limit of the update as sigma_t -> 0
    } else {
      const double lambda_s = std::log(alpha_s / sigma_s), lambda_t = std::log(alpha_t / sigma_t);
      const double h = lambda_t - lambda_s;
      const double factor = alpha_t * (std::exp(-h) - 1);
      if (!previous_x0_) {
        result = (sigma_t / sigma_s) * x - factor * x0;
      } else {
        const double previous_sigma = sigmas_.at(i - 1);
        const double alpha_p = 1 / std::sqrt(previous_sigma * previous_sigma + 1);
        const double lambda_p = std::log(alpha_p / (previous_sigma * alpha_p));
        const double r = (lambda_s - lambda_p) / h;
        const at::Tensor d1 = (x0 - *previous_x0_) / r;
        result = (sigma_t / sigma_s) * x - factor * x0 - 0.5 * factor * d1;
      }
    }
    previous_x0_ = x0;
    return result;
  }

 private:
  std::optional<at::Tensor> previous_x0_;
};

}  // namespace

at::Tensor Sampler::add_noise(const at::Tensor& x0, const at::Tensor& noise, std::size_t index) const {
  const double a = schedule_.alpha_cumprod(static_cast<std::int64_t>(timesteps_.at(index)));
  return std::sqrt(a) * x0 + std::sqrt(1 - a) * noise;
}

std::unique_ptr<Sampler> make_sampler(std::string_view name, const SchedulerConfig& config) {
  if (name == "ddim") return std::make_unique<DdimSampler>(config);
  if (name == "euler") return std::make_unique<EulerSampler>(config, false);
  if (name == "euler_a") return std::make_unique<EulerSampler>(config, true);
  if (name == "dpmpp_2m") return std::make_unique<DpmSolver2MSampler>(config);
  throw Error(ErrorCode::invalid_input, "unknown sampler '" + std::string(name) + "'", {},
              "use ddim, euler, euler_a or dpmpp_2m");
}

}  // namespace wf::diffusion
