#pragma once
// A diffusers `scheduler_config.json`: the noise schedule a UNet was trained with and how a sampler walks it.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace wf::diffusion {

enum class PredictionType { epsilon, v_prediction, sample };
enum class TimestepSpacing { leading, linspace, trailing };

struct SchedulerConfig {
  std::int64_t num_train_timesteps = 1000;
  double beta_start = 0.00085;  // Stable Diffusion 1.5's values are the defaults
  double beta_end = 0.012;
  std::string beta_schedule = "scaled_linear";  // or "linear"
  PredictionType prediction_type = PredictionType::epsilon;
  std::optional<TimestepSpacing> timestep_spacing;  // absent: each sampler's own default, as in diffusers
  std::int64_t steps_offset = 1;
  bool set_alpha_to_one = false;
  bool use_karras_sigmas = false;

  // Unknown keys are ignored, as diffusers does; bad values throw wf::Error(corrupt_file) naming `source`.
  static SchedulerConfig from_json(const nlohmann::json& value, const std::filesystem::path& source = {});
  static SchedulerConfig load(const std::filesystem::path& path);
};

}  // namespace wf::diffusion
