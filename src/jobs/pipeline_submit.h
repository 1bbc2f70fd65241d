#pragma once
// Queuing a pipeline job, as `watserface run` and the browser app do it. The settings are settled now, so the job
// runs the same phases however the machine changes before it resumes (and a missing model is said before anything
// runs); a project with a job queued or running is refused (its files would change under that job).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "jobs/job_store.h"

namespace wf::jobs {

struct SubmittedJob {
  std::int64_t id = 0;
  std::vector<std::string> phase_titles;  // the plan, in order
  nlohmann::json settings;                // as settled
};

// `settings`: resolved (resolve_pipeline_settings). The project's media must be in place (create_project).
// Throws wf::Error: missing_model, invalid_input (bad settings, or a job of the project queued or running).
SubmittedJob submit_pipeline(JobStore& store, const core::AppConfig& config, const std::string& project,
                             const nlohmann::json& settings);

// The job the same `watserface run` continues instead of queuing another: the project's job that is queued with
// these settings once jobs whose process died are queued again (the run was killed, or queued with --detach).
std::optional<SubmittedJob> waiting_pipeline(JobStore& store, const core::AppConfig& config, const std::string& project,
                                             const nlohmann::json& settings);

}  // namespace wf::jobs
