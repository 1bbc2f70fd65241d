#pragma once
// Values made on a thread of their own, a few ahead of the one that consumes them: the producer's work (decoding
// a frame, loading a training batch) overlaps whatever the consumer does with the values before.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace wf::core {

template <typename T>
class PrefetchQueue {
 public:
  // `produce` gives the next value, or nullopt at the end; it runs on the queue's thread, at most `ahead` values
  // ahead of `next`.
  PrefetchQueue(std::function<std::optional<T>()> produce, std::size_t ahead)
      : produce_(std::move(produce)), ahead_(ahead < 1 ? 1 : ahead), thread_([this] { run(); }) {}
  ~PrefetchQueue() {  // waits for the value being made, then stops
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  PrefetchQueue(const PrefetchQueue&) = delete;
  PrefetchQueue& operator=(const PrefetchQueue&) = delete;

  // The next value, or nullopt at the end; rethrows what `produce` threw.
  std::optional<T> next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !values_.empty() || done_; });
    if (values_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return std::nullopt;
    }
    T value = std::move(values_.front());
    values_.pop_front();
    changed_.notify_all();
    return value;
  }

 private:
  void run() {
    try {
      while (true) {
        {
          std::unique_lock lock(mutex_);
          changed_.wait(lock, [this] { return stop_ || values_.size() < ahead_; });
          if (stop_) return;
        }
        std::optional<T> value = produce_();
        const std::lock_guard lock(mutex_);
        if (!value) {
          done_ = true;
          changed_.notify_all();
          return;
        }
        values_.push_back(std::move(*value));
        changed_.notify_all();
      }
    } catch (...) {
      const std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      done_ = true;
      changed_.notify_all();
    }
  }

  std::function<std::optional<T>()> produce_;
  std::size_t ahead_;
  std::deque<T> values_;
  bool done_ = false, stop_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;  // last: it starts once everything it uses is there
};

}  // namespace wf::core
