#include "jobs/pipeline_submit.h"

#include "jobs/pipeline_options.h"

namespace wf::jobs {

namespace {

SubmittedJob planned(const core::AppConfig& config, const nlohmann::json& settings) {
  SubmittedJob out;
  out.settings = settle_pipeline(settings, config);
  for (const PlannedPhase& phase : plan_phases(out.settings)) out.phase_titles.push_back(phase.title);
  return out;
}

}  // namespace

SubmittedJob submit_pipeline(JobStore& store, const core::AppConfig& config, const std::string& project,
                             const nlohmann::json& settings) {
  SubmittedJob out = planned(config, settings);
  check_phase_options(project_paths(config.workspace_dir, project), out.settings, config);
  if (!store.project(project)) store.add_project(project, out.settings);
  out.id = store.submit_exclusive({.project = project, .kind = "pipeline", .heavy = true, .settings = out.settings});
  store.add_project(project, out.settings);  // the settings of its last job
  return out;
}

std::optional<SubmittedJob> waiting_pipeline(JobStore& store, const core::AppConfig& config, const std::string& project,
                                             const nlohmann::json& settings) {
  store.recover_orphans();
  const std::optional<JobRecord> live = store.live_job(project);
  if (!live || live->state != JobState::queued || live->spec.kind != "pipeline") return std::nullopt;
  SubmittedJob out = planned(config, settings);
  if (live->spec.settings != out.settings) return std::nullopt;
  out.id = live->id;
  return out;
}

}  // namespace wf::jobs
