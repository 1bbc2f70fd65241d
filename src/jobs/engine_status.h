#pragma once
// The swap engines as this machine offers them: each row of swap_engines.h with whether its models are installed
// and, when not, what is missing and where it goes (the doctor's words). The browser's engine list
// (GET /api/v1/engines), `watserface doctor` and a job's checks read it; a swap's engine inputs come from here too.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "swap/swap_engines.h"

namespace wf::jobs {

struct EngineStatus {
  const swap::EngineSpec* spec = nullptr;
  bool available = false;
  std::string missing;  // "base diffusion (SD 1.5)": the roles not installed, when unavailable
  std::string fix;      // where the files go, one sentence per missing role
};

std::vector<EngineStatus> engine_statuses(const core::AppConfig& config, const std::set<std::string>& named = {});

// [{"name", "label", "summary", "available", "missing", "fix", "needs_identity_adapter"}, ...] in the table's order.
nlohmann::json engines_json(const std::vector<EngineStatus>& engines);

// Throws wf::Error(missing_model) naming the engine, what it misses and the fix, when it cannot run here. Roles in
// `named` are left out: the user named a file for them (a base_model setting), which its reader checks.
void require_engine(swap::EngineKind kind, const core::AppConfig& config, const std::set<std::string>& named = {});

// What `spec` takes from this machine: each registry role's file (or where it goes), and SD 1.5 when it needs
// one — `base_model` when named, else the installed one (wf::Error(missing_model) when there is none). The caller
// adds the swap's own files (identity adapter, LoRA) and the device.
swap::EngineInputs engine_inputs(const swap::EngineSpec& spec, const core::AppConfig& config,
                                 const std::string& base_model = {});

}  // namespace wf::jobs
