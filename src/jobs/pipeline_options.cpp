#include "jobs/pipeline_options.h"

#include <algorithm>

#include "core/error.h"
#include "jobs/engine_status.h"
#include "models/registry.h"
#include "options/identity_options.h"
#include "options/lora_options.h"
#include "options/xseg_options.h"

namespace wf::jobs {
namespace fs = std::filesystem;

core::ComputeChoice pipeline_compute(const core::AppConfig& config) {
  return core::choose_compute(config.device, config.precision, config.threads);
}

fs::path pipeline_base_model(const nlohmann::json& settings, const core::AppConfig& config) {
  return models::base_diffusion_path(config, settings.value("base_model", ""));
}

bool enabled(const nlohmann::json& value) {
  return value == true;
}

namespace {

// A pipeline section as a command's options: without the phase's switch.
nlohmann::json direct_options(const nlohmann::json& section) {
  nlohmann::json values = section;
  values.erase("enabled");
  return values;
}

}  // namespace

nlohmann::json lora_options_of(const ProjectPaths& project, const nlohmann::json& settings,
                               const core::AppConfig& config) {
  nlohmann::json values = direct_options(settings.at("lora"));
  values["dataset"] = project.target_dataset().string();
  values["output"] = project.lora_model().string();
  values["model"] = pipeline_base_model(settings, config).string();
  if (fs::exists(project.identity_model())) values["identity"] = project.identity_model().string();
  return options::resolve_lora_options(values);
}

nlohmann::json identity_options_of(const ProjectPaths& project, const nlohmann::json& settings,
                                   const core::AppConfig& config) {
  nlohmann::json values = direct_options(settings.at("identity"));
  values["dataset"] = project.source_dataset().string();
  values["output"] = project.identity_model().string();
  values["model"] = pipeline_base_model(settings, config).string();
  values["tokenizer"] = settings.value("tokenizer", "");
  return options::resolve_identity_options(values);
}

nlohmann::json xseg_options_of(const ProjectPaths& project, const nlohmann::json& settings) {
  nlohmann::json values = direct_options(settings.at("xseg"));
  values["dataset"] = project.target_dataset().string();
  values["output"] = project.xseg_model().string();
  return options::resolve_xseg_options(values);
}

void check_phase_options(const ProjectPaths& project, const nlohmann::json& settings, const core::AppConfig& config) {
  if (enabled(settings.at("lora").at("enabled"))) lora_options_of(project, settings, config);
}

swap::SwapOptions pipeline_swap_options(const ProjectPaths& project, const nlohmann::json& settings,
                                        const core::AppConfig& config) {
  swap::SwapOptions o = swap::swap_options_of(settings.at("swap"));
  o.source = project.source_dataset();
  o.target = project.target_dataset();
  o.output = project.swapped();
  o.lossless = true;  // review makes the one lossy encode
  const swap::EngineSpec& engine = swap::engine_spec(o.engine);
  swap::EngineInputs inputs = engine_inputs(engine, config, settings.value("base_model", ""));
  inputs.identity = project.identity_model();
  if (enabled(settings.at("lora").at("enabled"))) inputs.lora = project.lora_model();
  inputs.tokenizer = settings.value("tokenizer", "");
  inputs.device = pipeline_compute(config).device_name();
  engine.configure(o, inputs);
  return o;
}

std::vector<PlannedPhase> plan_phases(const nlohmann::json& settled) {
  std::vector<PlannedPhase> phases{{"extract", "Extracting Faces", 1}};
  if (enabled(settled.at("identity").at("enabled"))) phases.push_back({"identity", "Training Identity Adapter", 4});
  if (enabled(settled.at("xseg").at("enabled"))) phases.push_back({"xseg", "Training XSeg Occlusion Mask", 2});
  if (enabled(settled.at("lora").at("enabled"))) phases.push_back({"lora", "Training Style LoRA", 3});
  phases.push_back({"swap", "Swapping Faces", 2});
  phases.push_back({"review", "Reviewing and Repairing", 1});
  const std::string last = settled.value("stop_after", "");
  if (!last.empty()) {
    const auto it = std::find_if(phases.begin(), phases.end(), [&](const PlannedPhase& p) { return p.name == last; });
    if (it == phases.end()) {
      throw Error(ErrorCode::invalid_input, "stop_after names '" + last + "', which is not a phase of this pipeline",
                  {}, "use extract, identity, xseg, lora, swap or review (one that is enabled)");
    }
    phases.erase(std::next(it), phases.end());
  }
  return phases;
}

nlohmann::json settle_pipeline(const nlohmann::json& settings, const core::AppConfig& config) {
  nlohmann::json out = settings;
  const nlohmann::json& name = settings.at("swap").at("engine");
  if (!name.is_string()) {
    throw Error(ErrorCode::invalid_input, "pipeline setting 'swap.engine' must be an engine's name", {},
                "use one of GET /api/v1/engines (watserface doctor lists them)");
  }
  const swap::EngineSpec& engine = swap::engine_spec(swap::parse_engine(name.get<std::string>()));
  const bool adapter = engine.needs_identity_adapter;
  nlohmann::json& identity = out.at("identity").at("enabled");
  if (identity == "auto") identity = adapter;
  if (adapter && identity != true) {
    throw Error(ErrorCode::invalid_input,
                "the " + std::string(engine.name) + " engine needs the identity phase", {},
                "turn identity training on, or swap with the offline engine");
  }
  std::set<std::string> named;
  if (!settings.value("base_model", "").empty()) named.insert("base_diffusion");
  require_engine(engine.kind, config, named);
  if (identity == true || out.at("lora").at("enabled") == true || adapter) {
    const fs::path model = pipeline_base_model(settings, config);
    if (!fs::exists(model)) {
      throw Error(ErrorCode::missing_model, "the Stable Diffusion 1.5 model named is not there", model,
                  "check the path (base_model), or leave it empty for the one in the models folder");
    }
    out["base_model"] = fs::absolute(model).string();
  }
  return out;
}

}  // namespace wf::jobs
