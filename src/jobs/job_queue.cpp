#include "jobs/job_queue.h"

#include <unistd.h>

#include <algorithm>

#include "core/error.h"
#include "core/log.h"

namespace wf::jobs {

JobQueue::JobQueue(std::filesystem::path database, std::map<std::string, JobRunner> runners,
                   std::optional<std::int64_t> only)
    : database_(std::move(database)), runners_(std::move(runners)), only_(only) {
  for (const auto& [kind, runner] : runners_) kinds_.push_back(kind);
}

JobQueue::~JobQueue() {
  stop();
}

void JobQueue::start() {
  JobStore store(database_);
  for (const std::int64_t id : store.recover_orphans()) {
    log::warn("jobs", "job {} was left running by a process that stopped; it resumes from its last checkpoint", id);
  }
  stopping_ = false;
  workers_.emplace_back([this] { work(true); });
  workers_.emplace_back([this] { work(false); });
}

void JobQueue::stop() {
  stopping_ = true;
  wake_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

void JobQueue::cancel(std::int64_t id) {
  JobStore(database_).control(id, ControlRequest::cancel);
}

void JobQueue::pause(std::int64_t id) {
  JobStore(database_).control(id, ControlRequest::pause);
}

bool JobQueue::busy() {
  for (const auto& job : JobStore(database_).jobs()) {
    const bool ours = std::find(kinds_.begin(), kinds_.end(), job.spec.kind) != kinds_.end();
    if (ours && (job.state == JobState::queued || job.state == JobState::running)) return true;
  }
  return false;
}

void JobQueue::resume(std::int64_t id) {
  JobStore(database_).resume_exclusive(id);
  wake_.notify_all();
}

bool JobQueue::wait(std::int64_t id, std::chrono::milliseconds timeout) {
  JobStore store(database_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto job = store.job(id);
    if (!job) return true;
    if (job->state != JobState::queued && job->state != JobState::running) return true;
    std::this_thread::sleep_for(kPoll);
  }
  return false;
}

void JobQueue::work(bool heavy) {
  std::optional<JobStore> store;
  while (!stopping_) {
    try {
      if (!store) store.emplace(database_);
      if (const auto job = store->claim_next(heavy, ::getpid(), kinds_, only_)) {
        run_one(*store, *job);
        continue;
      }
    } catch (const std::exception& e) {
      log::error("jobs", "the job queue could not reach its database: {}", e.what());  // tried again next poll
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kPoll, [this] { return stopping_.load(); });
  }
}

void JobQueue::run_one(JobStore& store, const JobRecord& job) {
  const auto runner = runners_.find(job.spec.kind);
  std::atomic<bool> cancel{false}, finished{false};
  // Requests from any process (and this queue stopping) reach the job through its cancel flag; the heartbeat
  // tells other processes its owner lives.
  std::thread watcher([&] {
    std::optional<JobStore> watch;
    while (!finished) {
      try {
        if (!watch) watch.emplace(database_);
        watch->heartbeat(job.id);
        if (watch->requested(job.id) != ControlRequest::none) cancel = true;
      } catch (const std::exception& e) {
        log::warn("jobs", "job {}: the database did not answer: {}", job.id, e.what());
      }
      if (stopping_) cancel = true;
      std::this_thread::sleep_for(kPoll);
    }
  });
  bool done = false;
  std::string error;
  try {
    done = runner->second(job, cancel);
  } catch (const Error& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = std::string("internal error: ") + e.what();
  } catch (...) {
    error = "internal error";
  }
  finished = true;
  watcher.join();
  JobState to = JobState::done;
  if (!error.empty()) {
    to = JobState::failed;
  } else if (!done) {
    to = store.requested(job.id) == ControlRequest::cancel ? JobState::cancelled : JobState::paused;
  }
  try {
    store.transition(job.id, to, error);
  } catch (const std::exception& e) {
    // The job stays running with no heartbeat: the next queue to start finds it and decides again.
    log::error("jobs", "job {} ended {} but that could not be recorded: {}", job.id, to_string(to), e.what());
  }
}

}  // namespace wf::jobs
