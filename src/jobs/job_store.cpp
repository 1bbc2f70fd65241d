#include "jobs/job_store.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "core/enum_names.h"
#include "core/error.h"
#include "jobs/progress_text.h"

namespace wf::jobs {
namespace {

constexpr std::array<core::EnumName<JobState>, 6> kStates{{{JobState::queued, "queued"},
                                                           {JobState::running, "running"},
                                                           {JobState::paused, "paused"},
                                                           {JobState::cancelled, "cancelled"},
                                                           {JobState::failed, "failed"},
                                                           {JobState::done, "done"}}};

constexpr std::array<core::EnumName<ControlRequest>, 3> kRequests{
    {{ControlRequest::none, ""}, {ControlRequest::cancel, "cancel"}, {ControlRequest::pause, "pause"}}};

// Each entry moves the schema one version up; never edit one that has shipped, add the next.
const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE projects (name TEXT PRIMARY KEY, created REAL NOT NULL, settings TEXT NOT NULL);
       CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT,
                          project TEXT NOT NULL REFERENCES projects(name),
                          kind TEXT NOT NULL, heavy INTEGER NOT NULL, state TEXT NOT NULL, settings TEXT NOT NULL,
                          created REAL NOT NULL, started REAL, finished REAL, error TEXT NOT NULL DEFAULT '',
                          pid INTEGER NOT NULL DEFAULT 0, request TEXT NOT NULL DEFAULT '',
                          phase TEXT NOT NULL DEFAULT '', phase_index INTEGER NOT NULL DEFAULT 0,
                          phase_count INTEGER NOT NULL DEFAULT 0, progress REAL NOT NULL DEFAULT 0, eta REAL);
       CREATE INDEX jobs_by_state ON jobs(state, heavy, id);)",
    R"(CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
       CREATE TABLE telemetry (job INTEGER NOT NULL REFERENCES jobs(id), line INTEGER NOT NULL, time REAL NOT NULL,
                               phase TEXT NOT NULL, kind TEXT NOT NULL, step INTEGER, message TEXT NOT NULL);
       CREATE INDEX telemetry_by_job ON telemetry(job, line);)",
    R"(ALTER TABLE jobs ADD COLUMN heartbeat REAL NOT NULL DEFAULT 0;
       ALTER TABLE jobs ADD COLUMN recoveries INTEGER NOT NULL DEFAULT 0;)",
};

constexpr double kStaleHeartbeat = 15;  // seconds without a heartbeat: the owner is gone (or frozen)
constexpr int kMostRecoveries = 3;      // a job whose process died this often is failed, not restarted again

bool allowed(JobState from, JobState to) {
  using S = JobState;
  switch (from) {
    case S::queued: return to == S::running || to == S::cancelled || to == S::paused;
    case S::running: return to == S::done || to == S::failed || to == S::cancelled || to == S::paused;
    case S::paused: return to == S::queued || to == S::cancelled;
    case S::failed: return to == S::queued;
    case S::cancelled:
    case S::done: return false;
  }
  return false;
}

bool process_alive(std::int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// A running job's owner is alive when its pid is and its heartbeat is fresh: a reused pid (or another container's
// process with the same number) has no heartbeat to give.
bool owner_alive(std::int64_t pid, double heartbeat) {
  return process_alive(pid) && core::unix_time_now() - heartbeat < kStaleHeartbeat;
}

constexpr std::string_view kJobColumns =
    "id, project, kind, heavy, state, settings, created, started, finished, error, pid, request, phase, "
    "phase_index, phase_count, progress, eta, heartbeat, recoveries";

JobRecord read_job(const Statement& row) {
  JobRecord job;
  job.id = row.integer(0);
  job.spec = {row.text(1), row.text(2), row.integer(3) != 0, nlohmann::json::parse(row.text(5))};
  job.state = parse_job_state(row.text(4));
  job.created = row.real(6);
  job.started = row.null(7) ? 0 : row.real(7);
  job.finished = row.null(8) ? 0 : row.real(8);
  job.error = row.text(9);
  job.pid = row.integer(10);
  job.request = core::enum_from_string(kRequests, row.text(11)).value_or(ControlRequest::none);
  job.phase = row.text(12);
  job.phase_index = static_cast<int>(row.integer(13));
  job.phase_count = static_cast<int>(row.integer(14));
  job.progress = row.real(15);
  if (!row.null(16)) job.eta_s = row.real(16);
  job.heartbeat = row.real(17);
  job.recoveries = static_cast<int>(row.integer(18));
  return job;
}

}  // namespace

std::string_view to_string(JobState state) {
  return core::enum_to_string(kStates, state);
}
JobState parse_job_state(std::string_view text) {
  return core::parse_enum(kStates, text, "job state");
}

JobStore::JobStore(std::filesystem::path file) : db_(std::move(file)) {
  if (kMigrations.size() != static_cast<std::size_t>(kJobSchemaVersion)) {
    throw Error(ErrorCode::internal, "the job schema version and its migrations disagree", db_.file(), "");
  }
  db_.migrate(kMigrations);
}

void JobStore::add_project(const std::string& name, const nlohmann::json& settings) {
  db_.run(
      "INSERT INTO projects(name, created, settings) VALUES (?, ?, ?) "
      "ON CONFLICT(name) DO UPDATE SET settings = excluded.settings",
      {name, core::unix_time_now(), settings.dump()});
}

std::optional<nlohmann::json> JobStore::project(const std::string& name) {
  Statement row(db_, "SELECT settings FROM projects WHERE name = ?");
  row.bind(1, name);
  if (!row.step()) return std::nullopt;
  return nlohmann::json::parse(row.text(0));
}

std::vector<std::string> JobStore::projects() {
  Statement rows(db_, "SELECT name FROM projects ORDER BY name");
  std::vector<std::string> out;
  while (rows.step()) out.push_back(rows.text(0));
  return out;
}

void JobStore::set_setting(const std::string& key, const nlohmann::json& value) {
  db_.run("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          {key, value.dump()});
}

std::optional<nlohmann::json> JobStore::setting(const std::string& key) {
  Statement row(db_, "SELECT value FROM settings WHERE key = ?");
  row.bind(1, key);
  if (!row.step()) return std::nullopt;
  return nlohmann::json::parse(row.text(0));
}

nlohmann::json to_json(const JobRecord& job) {
  return {{"id", job.id},
          {"project", job.spec.project},
          {"kind", job.spec.kind},
          {"state", to_string(job.state)},
          {"phase", job.phase},
          {"phase_index", job.phase_index},
          {"phase_count", job.phase_count},
          {"progress", job.progress},
          {"eta_s", job.eta_s ? nlohmann::json(*job.eta_s) : nlohmann::json()},
          {"eta_text", job.eta_s ? nlohmann::json(duration_text(*job.eta_s)) : nlohmann::json()},
          {"created", job.created},
          {"started", job.started},
          {"finished", job.finished},
          {"error", job.error},
          {"settings", job.spec.settings}};
}

std::int64_t JobStore::submit(const JobSpec& spec) {
  if (!project(spec.project)) {
    throw Error(ErrorCode::not_found, "there is no project '" + spec.project + "'", db_.file(),
                "create it first (watserface run --project NAME ...)");
  }
  db_.run("INSERT INTO jobs(project, kind, heavy, state, settings, created) VALUES (?, ?, ?, 'queued', ?, ?)",
          {spec.project, spec.kind, std::int64_t{spec.heavy}, spec.settings.dump(), core::unix_time_now()});
  return db_.last_insert_id();
}

void JobStore::resume_exclusive(std::int64_t id) {
  db_.transaction([&] {
    if (const auto record = job(id)) refuse_if_live(record->spec.project);
    transition(id, JobState::queued);
  });
}

std::optional<JobRecord> JobStore::live_job(const std::string& project) {
  Statement row(db_, "SELECT " + std::string(kJobColumns) +
                         " FROM jobs WHERE project = ? AND state IN ('queued', 'running') ORDER BY id LIMIT 1");
  row.bind(1, project);
  if (!row.step()) return std::nullopt;
  return read_job(row);
}

void JobStore::refuse_if_live(const std::string& project) {
  if (const auto job = live_job(project)) {
    const std::string id = std::to_string(job->id);
    throw Error(ErrorCode::invalid_input,
                "project " + project + " already has job " + id + " " + std::string(to_string(job->state)), db_.file(),
                "wait for it to finish, or cancel it (watserface jobs cancel " + id + ")");
  }
}

std::int64_t JobStore::submit_exclusive(const JobSpec& spec) {
  std::int64_t id = 0;
  db_.transaction([&] {
    refuse_if_live(spec.project);
    id = submit(spec);
  });
  return id;
}

std::optional<JobRecord> JobStore::job(std::int64_t id) {
  Statement row(db_, "SELECT " + std::string(kJobColumns) + " FROM jobs WHERE id = ?");
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return read_job(row);
}

std::vector<JobRecord> JobStore::jobs() {
  Statement rows(db_, "SELECT " + std::string(kJobColumns) + " FROM jobs ORDER BY id");
  std::vector<JobRecord> out;
  while (rows.step()) out.push_back(read_job(rows));
  return out;
}

void JobStore::transition(std::int64_t id, JobState to, const std::string& error) {
  db_.transaction([&] {
    const std::optional<JobRecord> current = job(id);
    if (!current) {
      throw Error(ErrorCode::not_found, "there is no job " + std::to_string(id), db_.file(),
                  "list the jobs with watserface jobs list");
    }
    if (!allowed(current->state, to)) {
      throw Error(ErrorCode::invalid_input,
                  "job " + std::to_string(id) + " is " + std::string(to_string(current->state)) +
                      " and cannot become " + std::string(to_string(to)),
                  db_.file(), "");
    }
    const bool final =
        to == JobState::done || to == JobState::failed || to == JobState::cancelled || to == JobState::paused;
    if (to == JobState::running) {
      db_.run(
          "UPDATE jobs SET state = ?, started = ?, finished = NULL, error = '', request = '', pid = ?, "
          "heartbeat = ? WHERE id = ?",
          {std::string(to_string(to)), core::unix_time_now(), std::int64_t{::getpid()}, core::unix_time_now(), id});
    } else if (final) {
      db_.run("UPDATE jobs SET state = ?, finished = ?, error = ?, request = '', eta = NULL WHERE id = ?",
              {std::string(to_string(to)), core::unix_time_now(), error, id});
    } else {
      db_.run("UPDATE jobs SET state = ?, error = ?, request = '' WHERE id = ?",
              {std::string(to_string(to)), error, id});
    }
  });
}

std::optional<JobRecord> JobStore::claim_next(bool heavy, std::int64_t pid, const std::vector<std::string>& kinds,
                                              std::optional<std::int64_t> only) {
  std::optional<JobRecord> claimed;
  db_.transaction([&] {
    recover_dead_owners();
    // A heavy job waits while another process runs one.
    if (heavy) {
      Statement running(db_, "SELECT pid, heartbeat FROM jobs WHERE state = 'running' AND heavy = 1");
      while (running.step()) {
        if (owner_alive(running.integer(0), running.real(1))) return;
      }
    }
    Statement next(db_, "SELECT id, kind FROM jobs WHERE state = 'queued' AND heavy = ? ORDER BY id");
    next.bind(1, std::int64_t{heavy});
    std::optional<std::int64_t> id;
    while (!id && next.step()) {
      const bool kind_ok = kinds.empty() || std::find(kinds.begin(), kinds.end(), next.text(1)) != kinds.end();
      if (kind_ok && (!only || *only == next.integer(0))) id = next.integer(0);
    }
    if (!id) return;
    db_.run(
        "UPDATE jobs SET state = 'running', started = ?, finished = NULL, error = '', pid = ?, heartbeat = ? "
        "WHERE id = ?",
        {core::unix_time_now(), pid, core::unix_time_now(), *id});
    claimed = job(*id);
  });
  return claimed;
}

void JobStore::heartbeat(std::int64_t id) {
  db_.run("UPDATE jobs SET heartbeat = ? WHERE id = ?", {core::unix_time_now(), id});
}

std::vector<std::int64_t> JobStore::recover_dead_owners() {
  Statement running(db_, "SELECT id, pid, heartbeat, request, recoveries FROM jobs WHERE state = 'running'");
  struct Dead {
    std::int64_t id;
    std::string request;
    std::int64_t recoveries;
  };
  std::vector<Dead> dead;
  while (running.step()) {
    if (!owner_alive(running.integer(1), running.real(2))) {
      dead.push_back({running.integer(0), running.text(3), running.integer(4)});
    }
  }
  std::vector<std::int64_t> requeued;
  for (const Dead& job : dead) {
    // What the user asked of it while it had no process still holds.
    if (job.request == "cancel" || job.request == "pause") {
      db_.run(
          "UPDATE jobs SET state = ?, finished = ?, request = '', pid = 0, "
          "error = 'its process stopped; the last checkpoint is kept' WHERE id = ?",
          {std::string(job.request == "cancel" ? "cancelled" : "paused"), core::unix_time_now(), job.id});
    } else if (job.recoveries + 1 >= kMostRecoveries) {
      db_.run("UPDATE jobs SET state = 'failed', finished = ?, pid = 0, error = ? WHERE id = ?",
              {core::unix_time_now(),
               "its process stopped " + std::to_string(kMostRecoveries) +
                   " times; the last checkpoint is kept: resume it by hand (watserface jobs resume " +
                   std::to_string(job.id) + ")",
               job.id});
    } else {
      db_.run(
          "UPDATE jobs SET state = 'queued', recoveries = recoveries + 1, request = '', pid = 0, "
          "error = 'its process stopped; resumed from the last checkpoint' WHERE id = ?",
          {job.id});
      requeued.push_back(job.id);
    }
  }
  return requeued;
}

std::vector<std::int64_t> JobStore::recover_orphans() {
  std::vector<std::int64_t> requeued;
  db_.transaction([&] { requeued = recover_dead_owners(); });
  return requeued;
}

void JobStore::control(std::int64_t id, ControlRequest request) {
  db_.transaction([&] {
    const std::optional<JobRecord> current = job(id);
    if (!current) {
      throw Error(ErrorCode::not_found, "there is no job " + std::to_string(id), db_.file(),
                  "list the jobs with watserface jobs list");
    }
    if (current->state == JobState::running) {
      db_.run("UPDATE jobs SET request = ? WHERE id = ?", {std::string(core::enum_to_string(kRequests, request)), id});
      // No worker will see it when the owner is gone: the request is carried out now, as recovery would.
      if (!owner_alive(current->pid, current->heartbeat)) recover_dead_owners();
      return;
    }
    const JobState to = request == ControlRequest::cancel ? JobState::cancelled : JobState::paused;
    if (current->state == to) return;
    if (!allowed(current->state, to)) {
      throw Error(ErrorCode::invalid_input,
                  "job " + std::to_string(id) + " is " + std::string(to_string(current->state)) + " and cannot be " +
                      (request == ControlRequest::cancel ? "cancelled" : "paused"),
                  db_.file(), "");
    }
    db_.run("UPDATE jobs SET state = ?, finished = ?, request = '' WHERE id = ?",
            {std::string(to_string(to)), core::unix_time_now(), id});
  });
}

ControlRequest JobStore::requested(std::int64_t id) {
  Statement row(db_, "SELECT request FROM jobs WHERE id = ?");
  row.bind(1, id);
  if (!row.step()) return ControlRequest::none;
  return core::enum_from_string(kRequests, row.text(0)).value_or(ControlRequest::none);
}

void JobStore::set_progress(std::int64_t id, const core::PhaseRef& phase, double progress,
                            std::optional<double> eta_s) {
  db_.run("UPDATE jobs SET phase = ?, phase_index = ?, phase_count = ?, progress = ?, eta = ? WHERE id = ?",
          {phase.name, std::int64_t{phase.index}, std::int64_t{phase.count}, progress,
           eta_s ? SqlValue(*eta_s) : SqlValue(std::monostate{}), id});
}

void JobStore::index_event(std::int64_t id, std::int64_t line, const core::Event& event) {
  db_.run("INSERT INTO telemetry(job, line, time, phase, kind, step, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {id, line, event.time, event.phase.name, std::string(core::to_string(event.kind)),
           event.step ? SqlValue(*event.step) : SqlValue(std::monostate{}), event.message});
}

void JobStore::forget_events_from(std::int64_t id, std::int64_t line) {
  db_.run("DELETE FROM telemetry WHERE job = ? AND line >= ?", {id, line});
}

std::vector<IndexedEvent> JobStore::event_index(std::int64_t id) {
  Statement rows(db_, "SELECT line, time, phase, kind, step, message FROM telemetry WHERE job = ? ORDER BY line");
  rows.bind(1, id);
  std::vector<IndexedEvent> out;
  while (rows.step()) {
    IndexedEvent event{rows.integer(0), rows.real(1), rows.text(2), rows.text(3), rows.text(5), std::nullopt};
    if (!rows.null(4)) event.step = rows.integer(4);
    out.push_back(std::move(event));
  }
  return out;
}

}  // namespace wf::jobs
