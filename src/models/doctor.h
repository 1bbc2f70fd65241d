#pragma once
// `watserface doctor`: what this machine offers and which model files are present, with the exact
// place to put each missing one. Read by people first; the JSON form feeds the UI.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/registry.h"

namespace wf::models {

enum class CheckStatus { ok, note, problem };

struct MachineCheck {
  std::string name;
  CheckStatus status = CheckStatus::ok;
  std::string detail;
  std::string hint;  // what to do, when not ok
};

struct DoctorReport {
  std::vector<MachineCheck> machine;
  std::vector<RoleStatus> models;
  std::filesystem::path models_dir;

  // A problem blocks the offline path (no disk, setup not run); missing optional models are not problems.
  bool has_problems() const;
  std::string to_text() const;
  nlohmann::json to_json() const;
};

DoctorReport run_doctor(const core::AppConfig& config);

}  // namespace wf::models
