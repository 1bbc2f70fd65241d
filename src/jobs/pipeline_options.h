#pragma once
// What a job's resolved pipeline settings (pipeline_settings.h) mean on this machine and for each phase, decided
// without running a phase: the server checks and previews with these, and links no trainer.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/device.h"
#include "jobs/project.h"
#include "swap/swap_options.h"

namespace wf::jobs {

// The settings with every "auto" decided for this machine (identity: trained when the swap is generative), so a
// job runs the same phases however the machine changes before it resumes. Throws wf::Error(missing_model) when
// the generative engine or an enabled identity/LoRA phase needs SD 1.5 and none is installed (or the one named
// is not there).
nlohmann::json settle_pipeline(const nlohmann::json& settings, const core::AppConfig& config);

// A phase the settings call for: its name (telemetry, stamps, stop_after), the title the progress line shows, and
// its expected share of the job's time (the global bar's weight).
struct PlannedPhase {
  std::string name;
  std::string title;
  double weight = 1;
};

// The phases settled settings call for, in order (PRD §3: extract, identity, xseg, lora, swap, review), cut after
// stop_after. Throws wf::Error(invalid_input) when stop_after names no phase of the plan.
std::vector<PlannedPhase> plan_phases(const nlohmann::json& settled);

// Throws, before a job is queued, what a phase would throw when it starts for its options (the LoRA's, checked by
// its schema: an unknown option, a value out of range).
void check_phase_options(const ProjectPaths& project, const nlohmann::json& settings, const core::AppConfig& config);

// The swap phase's options under settled settings: what the Swap page's one-frame preview swaps with.
swap::SwapOptions pipeline_swap_options(const ProjectPaths& project, const nlohmann::json& settings,
                                        const core::AppConfig& config);

// A trainer's options as a command takes them (options/*_options.h), resolved: the job's section of the settings
// on the project's files. What `watserface train ...` builds from its flags, the phase builds from these.
nlohmann::json lora_options_of(const ProjectPaths& project, const nlohmann::json& settings,
                               const core::AppConfig& config);
nlohmann::json identity_options_of(const ProjectPaths& project, const nlohmann::json& settings,
                                   const core::AppConfig& config);
nlohmann::json xseg_options_of(const ProjectPaths& project, const nlohmann::json& settings);

// The device and precision the job's phases run on.
core::ComputeChoice pipeline_compute(const core::AppConfig& config);

// The SD 1.5 model the settings name ("": the one in the models folder).
std::filesystem::path pipeline_base_model(const nlohmann::json& settings, const core::AppConfig& config);

// A phase's "enabled" once settled: true, never "auto".
bool enabled(const nlohmann::json& value);

}  // namespace wf::jobs
