#pragma once
// The workspace's database (one SQLite file, WAL): projects, jobs with every state transition persisted, their
// phases, workspace settings, and an index of each job's telemetry (the events themselves stay in the job's
// events.jsonl; the index keeps the line number and kind of the events that tell the story: phase starts and
// ends, epochs, checkpoints, samples, warnings, errors). Several processes may share it (the UI server and a CLI
// run); a control request (cancel, pause) written by one is seen by the process running the job.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.h"
#include "jobs/sqlite_db.h"

namespace wf::jobs {

// queued -> running -> paused | cancelled | failed | done; paused and failed -> queued (resume); queued and
// paused -> cancelled; queued -> paused (held); running -> queued only when recovered after its process died.
enum class JobState { queued, running, paused, cancelled, failed, done };
std::string_view to_string(JobState state);
JobState parse_job_state(std::string_view text);

enum class ControlRequest { none, cancel, pause };

struct JobSpec {
  std::string project;
  std::string kind = "pipeline";
  bool heavy = true;  // one heavy job runs at a time (GPU or all cores); light ones run beside it
  nlohmann::json settings = nlohmann::json::object();
};

struct JobRecord {
  std::int64_t id = 0;
  JobSpec spec;
  JobState state = JobState::queued;
  double created = 0, started = 0, finished = 0;  // seconds since the epoch; 0: not yet
  std::string error;                              // why it failed (or was recovered)
  std::int64_t pid = 0;                           // the process running it
  double heartbeat = 0;                           // the last sign of life of that process
  int recoveries = 0;                             // times its process died under it
  ControlRequest request = ControlRequest::none;
  std::string phase;  // the phase running now (or last)
  int phase_index = 0, phase_count = 0;
  double progress = 0;          // 0..1 over the whole job
  std::optional<double> eta_s;  // seconds left in the whole job
};

// What `watserface jobs list --json` and the browser app's API show of a job.
nlohmann::json to_json(const JobRecord& job);

struct IndexedEvent {
  std::int64_t line = 0;  // its 0-based line in events.jsonl (core::read_events from_line)
  double time = 0;
  std::string phase, kind, message;
  std::optional<std::int64_t> step;
};

inline constexpr int kJobSchemaVersion = 3;

class JobStore {
 public:
  // Opens (creating and migrating) the database. Throws wf::Error naming the file.
  explicit JobStore(std::filesystem::path file);

  void add_project(const std::string& name, const nlohmann::json& settings);  // replaces the settings if present
  std::optional<nlohmann::json> project(const std::string& name);
  std::vector<std::string> projects();

  void set_setting(const std::string& key, const nlohmann::json& value);
  std::optional<nlohmann::json> setting(const std::string& key);

  std::int64_t submit(const JobSpec& spec);  // queued; throws not_found for an unknown project
  // The same, refused (refuse_if_live) while the project has a job queued or running: decided in one
  // transaction, so of two submits at once one is refused.
  std::int64_t submit_exclusive(const JobSpec& spec);
  // A paused or failed job queued again, refused (refuse_if_live) while another job of its project is queued or
  // running; decided in one transaction.
  void resume_exclusive(std::int64_t id);
  std::optional<JobRecord> live_job(const std::string& project);  // its queued or running job
  // Throws wf::Error(invalid_input) naming the project's queued or running job, if it has one (before its media
  // or settings change under that job).
  void refuse_if_live(const std::string& project);
  std::optional<JobRecord> job(std::int64_t id);
  std::vector<JobRecord> jobs();  // oldest first

  // Moves a job to `to`; throws wf::Error(invalid_input) naming both states when the transition is not allowed.
  // Entering running records the pid and the start; a final state records the end and `error`.
  void transition(std::int64_t id, JobState to, const std::string& error = {});
  // The oldest queued job of this weight (of one of `kinds` when given; only job `only` when given), moved to
  // running for `pid` in one transaction, after jobs whose owner died were recovered (or none).
  std::optional<JobRecord> claim_next(bool heavy, std::int64_t pid, const std::vector<std::string>& kinds = {},
                                      std::optional<std::int64_t> only = std::nullopt);
  // Running jobs whose owner is gone (its pid dead, or no heartbeat for 15 s): cancelled or paused when that was
  // asked of them, failed after the third time, else queued again to resume; the ids queued again.
  std::vector<std::int64_t> recover_orphans();
  // The running job's owner is alive (its worker calls this every poll).
  void heartbeat(std::int64_t id);

  // Cancel or pause, decided in one transaction: a queued or paused job changes state at once (a cancelled one
  // never starts); a running one gets the request, which its worker sees within a poll; a running one whose owner
  // is gone changes state at once too (and so does any other such job: recovered, as recover_orphans does).
  void control(std::int64_t id, ControlRequest request);
  ControlRequest requested(std::int64_t id);

  void set_progress(std::int64_t id, const core::PhaseRef& phase, double progress, std::optional<double> eta_s);
  void index_event(std::int64_t id, std::int64_t line, const core::Event& event);
  std::vector<IndexedEvent> event_index(std::int64_t id);
  void forget_events_from(std::int64_t id, std::int64_t line);  // index rows at `line` and after

  const std::filesystem::path& file() const { return db_.file(); }

 private:
  std::vector<std::int64_t> recover_dead_owners();  // inside a transaction

  SqliteDb db_;
};

}  // namespace wf::jobs
