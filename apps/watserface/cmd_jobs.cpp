// watserface run: the whole pipeline (extract, identity, XSeg, LoRA, swap, review) as one job of a project, with
// the two-level progress in the terminal. watserface jobs: the queue — list, show (and the event log), cancel,
// pause, resume, and work through what is queued (jobs a killed process left running resume first).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "cli_context.h"
#include "core/error.h"
#include "core/json_io.h"
#include "interrupt.h"
#include "jobs/job_queue.h"
#include "jobs/orchestrator.h"
#include "jobs/pipeline_options.h"
#include "jobs/pipeline_settings.h"
#include "jobs/pipeline_submit.h"
#include "jobs/progress_text.h"
#include "jobs/project.h"

namespace wf::app {
namespace {
namespace fs = std::filesystem;

fs::path database(const core::AppConfig& config) {
  return jobs::workspace_database(config.workspace_dir);
}

// The pipeline runner of this process's queue, printing the global bar and the phase line.
jobs::JobRunner pipeline_runner(const core::AppConfig& config) {
  return jobs::pipeline_job_runner(config, [last_phase = std::string()](const jobs::JobProgress& p) mutable {
    const std::string phase = jobs::phase_line(p);
    if (phase != last_phase) {
      std::fprintf(stderr, "\n%s\n", phase.c_str());
      last_phase = phase;
    }
    const core::Event& e = *p.event;
    if (e.kind == core::EventKind::step) {
      const auto filled = static_cast<int>(20 * p.progress);
      const std::string job_eta = p.job_eta_s ? " | Job ETA: " + jobs::duration_text(*p.job_eta_s) : "";
      std::fprintf(stderr, "\r[%s%s] %3d%% | %s%s   ", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(20 - filled), '.').c_str(), static_cast<int>(100 * p.progress),
                   jobs::step_line(e).c_str(), job_eta.c_str());
    } else if (e.kind != core::EventKind::phase_start) {
      std::fprintf(stderr, "\n%s: %s\n", std::string(core::to_string(e.kind)).c_str(), e.message.c_str());
    }
    std::fflush(stderr);
  });
}

// Works job `id` in this process (and no other job: the rest of the queue is for whoever works it) until it
// stops; Ctrl-C pauses it at a checkpoint.
int follow(const core::AppConfig& config, std::int64_t id) {
  jobs::JobQueue queue(database(config), {{"pipeline", pipeline_runner(config)}}, id);
  queue.start();
  const std::atomic<bool>& interrupted = interrupt_flag();
  bool asked = false, said_waiting = false;
  const auto since = std::chrono::steady_clock::now();
  while (!queue.wait(id, std::chrono::milliseconds(200))) {
    if (interrupted && !asked) {
      asked = true;
      try {
        queue.pause(id);
      } catch (const Error&) {  // it ended meanwhile
      }
    }
    const auto job = jobs::JobStore(database(config)).job(id);
    if (!said_waiting && job && job->state == jobs::JobState::queued &&
        std::chrono::steady_clock::now() - since > std::chrono::seconds(2)) {
      std::fprintf(stderr, "job %lld waits: another job is running in this workspace (watserface jobs list)\n",
                   static_cast<long long>(id));
      said_waiting = true;
    }
  }
  queue.stop();
  const auto job = jobs::JobStore(database(config)).job(id);
  std::fprintf(stderr, "\n");
  switch (job->state) {
    case jobs::JobState::done:
      std::printf("job %lld done: %s\n", static_cast<long long>(id),
                  jobs::project_paths(config.workspace_dir, job->spec.project).final_video().c_str());
      return 0;
    case jobs::JobState::paused:
      std::printf("job %lld paused at a checkpoint; continue with: watserface jobs resume %lld\n",
                  static_cast<long long>(id), static_cast<long long>(id));
      return 130;
    case jobs::JobState::cancelled: std::printf("job %lld cancelled\n", static_cast<long long>(id)); return 130;
    default:
      std::fprintf(stderr, "job %lld %s: %s\n", static_cast<long long>(id), std::string(to_string(job->state)).c_str(),
                   job->error.c_str());
      return 1;
  }
}

struct RunFlags {
  std::string project, target, preset = "standard", settings_file;
  std::vector<std::string> source, set;
  bool detach = false;
};

int run_pipeline_command(const GlobalOptions& global, const RunFlags& flags) {
  const core::AppConfig config = resolve_config(global);
  nlohmann::json overrides =
      flags.settings_file.empty() ? nlohmann::json::object() : core::read_json_file(flags.settings_file);
  for (const auto& assignment : flags.set) overrides.merge_patch(jobs::setting_patch(assignment));
  const nlohmann::json settings = jobs::resolve_pipeline_settings(flags.preset, overrides);
  jobs::settle_pipeline(settings, config);  // a missing model is said before anything is copied
  jobs::JobStore store(database(config));
  // The same command after its process was killed (or after --detach) continues that job.
  std::optional<jobs::SubmittedJob> waiting = jobs::waiting_pipeline(store, config, flags.project, settings);
  if (!waiting) store.refuse_if_live(flags.project);
  std::vector<fs::path> source(flags.source.begin(), flags.source.end());
  jobs::create_project(config.workspace_dir, flags.project, source, flags.target);
  const jobs::SubmittedJob job = waiting ? *waiting : jobs::submit_pipeline(store, config, flags.project, settings);
  std::string plan;
  for (const auto& title : job.phase_titles) plan += (plan.empty() ? "" : " -> ") + title;
  std::printf("job %lld%s: %s\n", static_cast<long long>(job.id), waiting ? " resumes" : "", plan.c_str());
  std::fflush(stdout);
  if (flags.detach) return 0;
  return follow(config, job.id);
}

std::string job_row(const jobs::JobRecord& job) {
  char text[512];
  std::snprintf(text, sizeof(text), "%5lld  %-16s %-10s %d/%d %-10s %3d%%  %s", static_cast<long long>(job.id),
                job.spec.project.c_str(), std::string(to_string(job.state)).c_str(), job.phase_index, job.phase_count,
                job.phase.c_str(), static_cast<int>(100 * job.progress), job.error.c_str());
  return text;
}

struct JobsFlags {
  std::int64_t id = 0;
  bool json = false, events = false;
};

jobs::JobRecord existing(jobs::JobStore& store, std::int64_t id) {
  const auto job = store.job(id);
  if (!job) {
    throw Error(ErrorCode::not_found, "there is no job " + std::to_string(id), store.file(),
                "list them with watserface jobs list");
  }
  return *job;
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto flags = std::make_shared<RunFlags>();
  auto* command = app.add_subcommand(
      "run", "Run the whole pipeline for a project: extract, train (identity, XSeg, LoRA), swap, review");
  command->add_option("--project", flags->project, "the project's name (created in the workspace if new)")->required();
  command->add_option("--source", flags->source, "photos and clips of the source face (added to the project)");
  command->add_option("--target", flags->target, "the target video (replaces the project's)");
  command->add_option("--preset", flags->preset, "standard, or quick: a first try that finishes in minutes")
      ->capture_default_str();
  command->add_option("--settings", flags->settings_file, "a JSON file of pipeline settings over the preset");
  command->add_option("--set", flags->set, "one setting, e.g. --set xseg.epochs=10 --set lora.enabled=true");
  command->add_flag("--detach", flags->detach, "only queue the job (watserface jobs work runs it)");
  command->callback([&global, &status, flags] { status = run_pipeline_command(global, *flags); });
}

void add_jobs_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto flags = std::make_shared<JobsFlags>();
  auto* command = app.add_subcommand("jobs", "The job queue: list, show, cancel, pause, resume, work");
  command->require_subcommand(1);
  auto* list = command->add_subcommand("list", "every job, oldest first");
  list->add_flag("--json", flags->json, "as JSON");
  list->callback([&global, &status, flags] {
    const core::AppConfig config = resolve_config(global);
    jobs::JobStore store(database(config));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& job : store.jobs()) {
      if (flags->json) {
        out.push_back(jobs::to_json(job));
      } else {
        std::printf("%s\n", job_row(job).c_str());
      }
    }
    // A job's error may name a file whose name is not UTF-8: shown with U+FFFD.
    if (flags->json) std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    status = 0;
  });
  auto* show = command->add_subcommand("show", "one job; --events prints its event log");
  show->add_option("id", flags->id)->required();
  show->add_flag("--events", flags->events, "print the job's events.jsonl as text");
  show->callback([&global, &status, flags] {
    const core::AppConfig config = resolve_config(global);
    jobs::JobStore store(database(config));
    const jobs::JobRecord job = existing(store, flags->id);
    std::printf("%s\n", job_row(job).c_str());
    if (flags->events) {
      const fs::path log = jobs::project_paths(config.workspace_dir, job.spec.project).events(job.id);
      for (const auto& e : core::read_events(log).events) {
        std::printf("%s %d/%d %-8s %-11s %s%s\n", e.job.c_str(), e.phase.index, e.phase.count, e.phase.name.c_str(),
                    std::string(core::to_string(e.kind)).c_str(), jobs::step_line(e).c_str(),
                    e.message.empty() ? "" : ("  " + e.message).c_str());
      }
    }
    status = 0;
  });
  for (const char* verb : {"cancel", "pause", "resume"}) {
    auto* sub = command->add_subcommand(verb, std::string(verb) + " a job");
    sub->add_option("id", flags->id)->required();
    const std::string name = verb;
    sub->callback([&global, &status, flags, name] {
      const core::AppConfig config = resolve_config(global);
      jobs::JobQueue queue(database(config), {});
      if (name == "cancel") queue.cancel(flags->id);
      if (name == "pause") queue.pause(flags->id);
      if (name == "resume") {
        queue.resume(flags->id);
        status = follow(config, flags->id);
        return;
      }
      // Done at once (the job was queued, or its process had stopped), or asked of the process running it.
      const jobs::JobState now = jobs::JobStore(database(config)).job(flags->id)->state;
      if (now == jobs::JobState::cancelled || now == jobs::JobState::paused) {
        std::printf("job %lld %s\n", static_cast<long long>(flags->id), std::string(to_string(now)).c_str());
      } else {
        std::printf("job %lld: %s asked\n", static_cast<long long>(flags->id), name.c_str());
      }
      status = 0;
    });
  }
  auto* work =
      command->add_subcommand("work", "run queued jobs (and ones a killed process left running) until none is left");
  work->callback([&global, &status] {
    const core::AppConfig config = resolve_config(global);
    jobs::JobQueue queue(database(config), {{"pipeline", pipeline_runner(config)}});
    queue.start();  // first queues again what a killed process left running
    while (queue.busy() && !interrupt_flag()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    queue.stop();  // after Ctrl-C: the running job pauses at a checkpoint
    std::fprintf(stderr, "\n");
    status = interrupt_flag() ? 130 : 0;
    for (const auto& job : jobs::JobStore(database(config)).jobs()) {
      if (job.state == jobs::JobState::failed && status == 0) status = 1;
      std::printf("%s\n", job_row(job).c_str());
    }
  });
}

}  // namespace wf::app
