#include "jobs/job_queue.h"

#include <unistd.h>

#include "core/error.h"
#include "core/log.h"

namespace wf::jobs {

JobQueue::JobQueue(std::filesystem::path database, std::map<std::string, JobRunner> runners)
    : database_(std::move(database)), runners_(std::move(runners)) {}

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
  JobStore store(database_);
  const auto job = store.job(id);
  if (!job) throw Error(ErrorCode::not_found, "there is no job " + std::to_string(id), database_, "");
  if (job->state == JobState::running) {
    store.request(id, ControlRequest::cancel);
  } else {
    store.transition(id, JobState::cancelled);
  }
}

void JobQueue::pause(std::int64_t id) {
  JobStore store(database_);
  const auto job = store.job(id);
  if (!job) throw Error(ErrorCode::not_found, "there is no job " + std::to_string(id), database_, "");
  if (job->state == JobState::running) {
    store.request(id, ControlRequest::pause);
  } else {
    store.transition(id, JobState::paused);
  }
}

void JobQueue::resume(std::int64_t id) {
  JobStore(database_).transition(id, JobState::queued);
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
  JobStore store(database_);
  while (!stopping_) {
    if (const auto job = store.claim_next(heavy, ::getpid())) {
      run_one(store, *job);
      continue;
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kPoll, [this] { return stopping_.load(); });
  }
}

void JobQueue::run_one(JobStore& store, const JobRecord& job) {
  const auto runner = runners_.find(job.spec.kind);
  if (runner == runners_.end()) {
    store.transition(job.id, JobState::failed, "no worker runs jobs of kind '" + job.spec.kind + "'");
    return;
  }
  std::atomic<bool> cancel{false}, finished{false};
  // Requests from any process (and this queue stopping) reach the job through its cancel flag.
  std::thread watcher([&] {
    JobStore watch(database_);
    while (!finished) {
      if (stopping_ || watch.requested(job.id) != ControlRequest::none) cancel = true;
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
  }
  finished = true;
  watcher.join();
  if (!error.empty()) {
    store.transition(job.id, JobState::failed, error);
  } else if (done) {
    store.transition(job.id, JobState::done);
  } else {
    store.transition(job.id,
                     store.requested(job.id) == ControlRequest::cancel ? JobState::cancelled : JobState::paused);
  }
}

}  // namespace wf::jobs
