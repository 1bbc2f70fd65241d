#include "diffusion/scheduler_config.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"

namespace wf::diffusion {

SchedulerConfig SchedulerConfig::from_json(const nlohmann::json& value, const std::filesystem::path& source) {
  SchedulerConfig c;
  try {
    c.num_train_timesteps = value.value("num_train_timesteps", c.num_train_timesteps);
    c.beta_start = value.value("beta_start", c.beta_start);
    c.beta_end = value.value("beta_end", c.beta_end);
    c.beta_schedule = value.value("beta_schedule", c.beta_schedule);
    c.steps_offset = value.value("steps_offset", c.steps_offset);
    c.set_alpha_to_one = value.value("set_alpha_to_one", c.set_alpha_to_one);
    c.use_karras_sigmas = value.value("use_karras_sigmas", c.use_karras_sigmas);
    const std::string prediction = value.value("prediction_type", std::string("epsilon"));
    if (prediction == "epsilon") c.prediction_type = PredictionType::epsilon;
    else if (prediction == "v_prediction") c.prediction_type = PredictionType::v_prediction;
    else if (prediction == "sample") c.prediction_type = PredictionType::sample;
    else throw Error(ErrorCode::corrupt_file, "unknown prediction_type '" + prediction + "'", source);
    if (value.contains("timestep_spacing") && !value.at("timestep_spacing").is_null()) {
      const std::string spacing = value.at("timestep_spacing").get<std::string>();
      if (spacing == "leading") c.timestep_spacing = TimestepSpacing::leading;
      else if (spacing == "linspace") c.timestep_spacing = TimestepSpacing::linspace;
      else if (spacing == "trailing") c.timestep_spacing = TimestepSpacing::trailing;
      else throw Error(ErrorCode::corrupt_file, "unknown timestep_spacing '" + spacing + "'", source);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed scheduler config: ") + e.what(), source,
                "use the scheduler_config.json of a diffusers model folder");
  }
  if (c.beta_schedule != "scaled_linear" && c.beta_schedule != "linear") {
    throw Error(ErrorCode::unsupported, "beta_schedule '" + c.beta_schedule + "' is not supported", source,
                "use linear or scaled_linear (Stable Diffusion 1.5 uses scaled_linear)");
  }
  if (c.num_train_timesteps < 2) throw Error(ErrorCode::corrupt_file, "num_train_timesteps must be at least 2", source);
  return c;
}

SchedulerConfig SchedulerConfig::load(const std::filesystem::path& path) {
  return from_json(core::read_json_file(path), path);
}

}  // namespace wf::diffusion
