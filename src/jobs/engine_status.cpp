#include "jobs/engine_status.h"

#include <algorithm>

#include "core/error.h"
#include "models/registry.h"

namespace wf::jobs {
namespace {

EngineStatus status_of(const swap::EngineSpec& spec, const std::vector<models::RoleStatus>& roles,
                       const std::set<std::string>& named) {
  EngineStatus status{&spec, true, "", ""};
  for (const std::string& needed : spec.model_roles) {
    const auto role = std::find_if(roles.begin(), roles.end(), [&](const auto& r) { return r.spec->id == needed; });
    if (role == roles.end()) {
      throw Error(ErrorCode::internal, "the swap engine '" + std::string(spec.name) + "' needs the model role '" +
                                           needed + "', which the registry does not have");
    }
    if (role->ready() || named.contains(needed)) continue;
    status.available = false;
    status.missing += (status.missing.empty() ? "" : ", ") + role->spec->title;
    status.fix += (status.fix.empty() ? "" : " ") + models::install_hint(*role);
  }
  return status;
}

// The names of an engine's own `swap` settings (the rest of the section applies to every engine).
nlohmann::json options_of(const swap::EngineSpec& spec) {
  nlohmann::json names = nlohmann::json::array();
  for (const core::OptionSpec& option : spec.options()) {
    if (option.pipeline) names.push_back(option.name);
  }
  return names;
}

}  // namespace

std::vector<EngineStatus> engine_statuses(const core::AppConfig& config, const std::set<std::string>& named) {
  const std::vector<models::RoleStatus> roles = models::check_models(config);
  std::vector<EngineStatus> out;
  for (const swap::EngineSpec& spec : swap::swap_engines()) out.push_back(status_of(spec, roles, named));
  return out;
}

nlohmann::json engines_json(const std::vector<EngineStatus>& engines) {
  nlohmann::json out = nlohmann::json::array();
  for (const EngineStatus& e : engines) {
    out.push_back({{"name", e.spec->name},
                   {"label", e.spec->label},
                   {"summary", e.spec->summary},
                   {"available", e.available},
                   {"missing", e.missing},
                   {"fix", e.fix},
                   {"needs_identity_adapter", e.spec->needs_identity_adapter},
                   {"options", options_of(*e.spec)}});
  }
  return out;
}

void require_engine(swap::EngineKind kind, const core::AppConfig& config, const std::set<std::string>& named) {
  const EngineStatus status = status_of(swap::engine_spec(kind), models::check_models(config), named);
  if (status.available) return;
  throw Error(
      ErrorCode::missing_model,
      "the " + std::string(status.spec->name) + " swap engine needs " + status.missing + ", which is not installed", {},
      status.fix + " (watserface doctor lists every model)");
}

swap::EngineInputs engine_inputs(const swap::EngineSpec& spec, const core::AppConfig& config,
                                 const std::string& base_model) {
  swap::EngineInputs inputs;
  for (const std::string& role : spec.model_roles) {
    if (role == "base_diffusion") {
      inputs.base_model = models::base_diffusion_path(config, base_model);  // a folder or one file
    } else {
      inputs.model_files[role] = models::role_file(config, role);
    }
  }
  return inputs;
}

}  // namespace wf::jobs
