#pragma once
// Runs a pipeline job: the phases plan_pipeline gives, in order, each skipped when its stamp says it finished with
// the same settings. Every event a phase reports is labelled with the job and the phase's place ("Phase 2/5"),
// given an ETA from the pace of its recent steps (step_pace.h), appended to the job's events.jsonl and indexed in the
// store; the job's global progress (phases weighted by their expected share) and ETA are kept in the store, where
// the UI and `watserface jobs` read them.

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/events.h"
#include "jobs/job_queue.h"
#include "jobs/job_store.h"

namespace wf::jobs {

// What a progress display shows: the global bar and the phase line.
struct JobProgress {
  std::string title;  // "Training Identity Adapter"
  int phase_index = 0, phase_count = 0;
  double progress = 0;                 // the whole job, 0..1
  std::optional<double> job_eta_s;     // the whole job's seconds left
  const core::Event* event = nullptr;  // the labelled event that moved it
};
using ProgressCallback = std::function<void(const JobProgress&)>;

// Runs or resumes `job` (a "pipeline" job of project `job.spec.project` in `workspace`). True when every phase
// finished; false when `cancel` turned true (the phase running stopped at a checkpoint). Throws what a phase threw
// (after an error event in the log).
bool run_pipeline(JobStore& store, const JobRecord& job, const std::filesystem::path& workspace,
                  const core::AppConfig& config, const std::atomic<bool>& cancel,
                  const ProgressCallback& progress = {});

// A JobQueue's runner of "pipeline" jobs: run_pipeline in `config`'s workspace, reporting to `progress`.
JobRunner pipeline_job_runner(const core::AppConfig& config, ProgressCallback progress = {});

}  // namespace wf::jobs
