#include "jobs/orchestrator.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_io.h"
#include "core/jsonl.h"
#include "jobs/phases.h"
#include "jobs/pipeline_options.h"
#include "jobs/pipeline_settings.h"
#include "jobs/project.h"
#include "jobs/step_pace.h"

namespace wf::jobs {
namespace fs = std::filesystem;
namespace {

// The job's events.jsonl made ready to append to: a line cut short by a killed process is removed (its event is
// lost, the lines before it stay readable). Returns the lines it holds.
std::int64_t prepare_log(const fs::path& log) {
  const core::CompleteLines complete = core::read_complete_lines(log);
  std::error_code ec;
  if (fs::is_regular_file(log, ec) && fs::file_size(log) != complete.length) fs::resize_file(log, complete.length);
  return static_cast<std::int64_t>(complete.lines.size());
}

// Phase events labelled, timed and written: the job's one writer of events.jsonl.
class JobEvents {
 public:
  JobEvents(JobStore& store, const JobRecord& job, const fs::path& log, double total_weight,
            const ProgressCallback& progress)
      : store_(store),
        job_(job),
        lines_(prepare_log(log)),
        log_(log),
        total_weight_(total_weight),
        progress_(progress),
        started_(core::unix_time_now()) {}

  // Phases this process runs begin here: the job's ETA is paced by the work done since (not by phases that
  // finished in an earlier run).
  void begin_work(double weight_done) {
    if (!working_) {
      working_ = true;
      weight_at_start_ = weight_done;
      started_ = core::unix_time_now();
    }
  }

  void enter(const core::PhaseRef& phase, std::string title, double weight_before, double weight) {
    phase_ = phase;
    title_ = std::move(title);
    weight_before_ = weight_before;
    weight_ = weight;
    fraction_ = 0;
    pass(1, 1);
  }

  // Sub-pass `index` of `count` of the phase: its steps fill that share of the phase.
  void pass(int index, int count) {
    pass_index_ = index;
    pass_count_ = count;
    pace_.reset();
    phase_eta_.reset();
  }

  void emit(core::Event event) {
    event.job = std::to_string(job_.id);
    event.phase = phase_;
    if (event.time == 0) event.time = core::unix_time_now();
    double fraction = 0;
    if (event.kind == core::EventKind::step && event.step && event.steps && *event.steps > 0) {
      const double within = std::min(1.0, static_cast<double>(*event.step) / static_cast<double>(*event.steps));
      fraction = (pass_index_ - 1 + within) / pass_count_;
      event.eta_s = pace_.observe(*event.step, *event.steps, event.time);
      phase_eta_ = event.eta_s;
      fraction_ = std::max(fraction_, fraction);  // a pass that counts again from 0 does not move the bar back
    }
    if (event.kind == core::EventKind::phase_end) fraction_ = 1;
    log_.emit(event);
    const std::int64_t line = lines_++;
    if (event.kind != core::EventKind::step) store_.index_event(job_.id, line, event);
    const double progress = (weight_before_ + weight_ * fraction_) / total_weight_;
    // The rest of the job at the pace the finished part went, this phase by its own ETA.
    std::optional<double> job_eta;
    const double done_here = weight_before_ + weight_ * fraction_ - weight_at_start_;
    if (phase_eta_ && working_ && done_here > 0) {
      job_eta = *phase_eta_ + (total_weight_ - weight_before_ - weight_) * (event.time - started_) / done_here;
    }
    if (event.kind != core::EventKind::step || event.time - last_saved_ > 0.5) {
      store_.set_progress(job_.id, phase_, progress, job_eta);
      last_saved_ = event.time;
    }
    if (progress_) progress_({title_, phase_.index, phase_.count, progress, job_eta, &event});
  }

 private:
  JobStore& store_;
  const JobRecord& job_;
  std::int64_t lines_;
  core::EventLog log_;
  double total_weight_;
  const ProgressCallback& progress_;
  double started_, last_saved_ = 0, weight_at_start_ = 0;
  bool working_ = false;
  core::PhaseRef phase_;
  std::string title_;
  double weight_before_ = 0, weight_ = 0, fraction_ = 0;
  int pass_index_ = 1, pass_count_ = 1;
  StepPace pace_;
  std::optional<double> phase_eta_;
};

// A phase's own start and end events are replaced by the orchestrator's; the rest pass through labelled.
class PhaseSink final : public core::EventSink {
 public:
  explicit PhaseSink(JobEvents& events) : events_(events) {}
  void emit(const core::Event& event) override {
    if (event.kind == core::EventKind::phase_start) return;
    if (event.kind == core::EventKind::phase_end) {
      end_message_ = event.message;
      return;
    }
    events_.emit(event);
  }
  const std::string& end_message() const { return end_message_; }

 private:
  JobEvents& events_;
  std::string end_message_;
};

core::Event marker(core::EventKind kind, std::string message) {
  core::Event event;
  event.kind = kind;
  event.message = std::move(message);
  return event;
}

fs::path stamp_path(const ProjectPaths& project, const Phase& phase) {
  return project.phase_stamps() / (phase.name() + ".json");
}

fs::path started_path(const ProjectPaths& project, const Phase& phase) {
  return project.phase_stamps() / (phase.name() + ".started.json");
}

// The settings a stamp holds, or null when it is missing or unreadable.
nlohmann::json stamped(const fs::path& stamp) {
  std::error_code ec;
  if (!fs::is_regular_file(stamp, ec)) return nullptr;
  try {
    return core::read_json_file(stamp).at("settings");
  } catch (const std::exception&) {
    return nullptr;
  }
}

// A phase about to run: when it last started with other inputs, its outputs (and their checkpoints) go, so
// training starts over instead of resuming a run of other settings; then the new start is stamped.
void start_phase(const ProjectPaths& project, const Phase& phase, const nlohmann::json& inputs, std::int64_t job) {
  const nlohmann::json before = stamped(started_path(project, phase));
  if (!before.is_null() && with_section_defaults(before) != inputs) {
    for (const fs::path& output : phase.outputs(project)) fs::remove_all(output);
  }
  core::write_json_file(started_path(project, phase),
                        {{"settings", inputs}, {"job", job}, {"started", core::unix_time_now()}});
}

}  // namespace

bool run_pipeline(JobStore& store, const JobRecord& job, const fs::path& workspace, const core::AppConfig& config,
                  const std::atomic<bool>& cancel, const ProgressCallback& progress) {
  const ProjectPaths project = project_paths(workspace, job.spec.project);
  // Settled when the job was queued (pipeline_submit.h); a job queued by an older version gets today's defaults
  // for options it did not know.
  const nlohmann::json settings = with_section_defaults(job.spec.settings);
  const std::vector<std::unique_ptr<Phase>> phases = plan_pipeline(settings);
  double total_weight = 0;
  for (const auto& phase : phases) total_weight += phase->weight();
  fs::create_directories(project.job_folder(job.id));
  JobEvents events(store, job, project.events(job.id), total_weight, progress);
  std::optional<models::FaceAnalysers> analysers;
  double weight_before = 0;
  bool rerun_rest = false;  // once a phase runs, every later one runs too: its inputs changed
  const int count = static_cast<int>(phases.size());
  for (int i = 0; i < count; ++i) {
    const Phase& phase = *phases[static_cast<std::size_t>(i)];
    const nlohmann::json inputs = phase.settings(settings, project);
    events.enter({phase.name(), i + 1, count}, phase.title(), weight_before, phase.weight());
    if (!rerun_rest && with_section_defaults(stamped(stamp_path(project, phase))) == inputs) {
      events.emit(marker(core::EventKind::phase_end, R"({"skipped":"finished before with these settings"})"));
      weight_before += phase.weight();
      continue;
    }
    if (!rerun_rest) {
      for (int later = i; later < count; ++later)
        fs::remove(stamp_path(project, *phases[static_cast<std::size_t>(later)]));
      rerun_rest = true;
    }
    if (cancel) {
      events.emit(marker(core::EventKind::warning, "stopped before " + phase.title()));
      return false;
    }
    events.begin_work(weight_before);
    start_phase(project, phase, inputs, job.id);
    events.emit(marker(core::EventKind::phase_start, phase.title()));
    PhaseSink sink(events);
    PhaseContext context{project,
                         settings,
                         config,
                         sink,
                         cancel,
                         analysers,
                         [&events](int pass, int passes) { events.pass(pass, passes); }};
    bool finished = false;
    try {
      finished = phases[static_cast<std::size_t>(i)]->run(context);
    } catch (const std::exception& e) {
      events.emit(marker(core::EventKind::error, e.what()));
      throw;
    }
    if (!finished) {
      events.emit(marker(core::EventKind::warning,
                         "stopped: training resumes from its last checkpoint, extraction from the faces it kept, "
                         "a swap or review starts over"));
      return false;
    }
    core::write_json_file(stamp_path(project, phase),
                          {{"settings", inputs}, {"job", job.id}, {"finished", core::unix_time_now()}});
    events.emit(marker(core::EventKind::phase_end, sink.end_message()));
    weight_before += phase.weight();
  }
  return true;
}

JobRunner pipeline_job_runner(const core::AppConfig& config, ProgressCallback progress) {
  return [config, progress = std::move(progress)](const JobRecord& job, const std::atomic<bool>& cancel) {
    JobStore store(workspace_database(config.workspace_dir));
    return run_pipeline(store, job, config.workspace_dir, config, cancel, progress);
  };
}

}  // namespace wf::jobs
