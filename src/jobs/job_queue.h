#pragma once
// The job queue's workers in this process: one runs heavy jobs (a pipeline: the GPU or every core), one at a time
// across every process sharing the workspace; another runs light jobs beside it. Each job's state lives in the
// store (job_store.h), so a cancel or pause asked for by any process (the UI, `watserface jobs`) reaches the
// worker within a poll, and jobs a dead process left running are queued again when a queue starts.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "jobs/job_store.h"

namespace wf::jobs {

// Runs one job to its end (true) or until `cancel` turns true (false, its work checkpointed); a wf::Error
// thrown fails the job with its message.
using JobRunner = std::function<bool(const JobRecord& job, const std::atomic<bool>& cancel)>;

class JobQueue {
 public:
  // `runners`: by job kind (the queue claims only jobs of these kinds). `only`: claim no job but this one (a CLI
  // following one job leaves the rest of the queue to others). Each thread opens its own connection.
  JobQueue(std::filesystem::path database, std::map<std::string, JobRunner> runners,
           std::optional<std::int64_t> only = std::nullopt);
  ~JobQueue();  // stop()
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Queues again the jobs a dead process left running, then starts the workers.
  void start();
  // Stops the workers: a running job is stopped at a checkpoint and left paused.
  void stop();

  void cancel(std::int64_t job);  // a queued or paused job never starts; a running one stops at a checkpoint
  void pause(std::int64_t job);   // a running one stops at a checkpoint; a queued one is held
  void resume(std::int64_t job);  // a paused or failed job is queued again (not beside a live one of its project)
  // True while a job of this queue's kinds is queued or running (a process that works the queue dry waits on it).
  bool busy();
  // Blocks until the job is done, failed, cancelled or paused (true), or `timeout` passes (false).
  bool wait(std::int64_t job, std::chrono::milliseconds timeout = std::chrono::hours(24 * 365));

  static constexpr std::chrono::milliseconds kPoll{200};

 private:
  void work(bool heavy);
  void run_one(JobStore& store, const JobRecord& job);

  std::filesystem::path database_;
  std::map<std::string, JobRunner> runners_;
  std::vector<std::string> kinds_;
  std::optional<std::int64_t> only_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
};

}  // namespace wf::jobs
