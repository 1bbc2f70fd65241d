#include "media/frame_prefetcher.h"

namespace wf::media {

FramePrefetcher::FramePrefetcher(VideoReader reader, std::size_t ahead)
    : reader_(std::move(reader)),
      info_(reader_.info()),
      ahead_(std::max<std::size_t>(1, ahead)),
      thread_([this] { run(); }) {}

FramePrefetcher::~FramePrefetcher() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void FramePrefetcher::run() {
  try {
    while (true) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return stop_ || frames_.size() < ahead_; });
        if (stop_) return;
      }
      std::optional<Frame> frame = reader_.next();
      const std::lock_guard lock(mutex_);
      if (!frame) {
        done_ = true;
        changed_.notify_all();
        return;
      }
      frames_.push_back(std::move(*frame));
      changed_.notify_all();
    }
  } catch (...) {
    const std::lock_guard lock(mutex_);
    error_ = std::current_exception();
    done_ = true;
    changed_.notify_all();
  }
}

std::optional<Frame> FramePrefetcher::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !frames_.empty() || done_; });
  if (frames_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }
  Frame frame = std::move(frames_.front());
  frames_.pop_front();
  changed_.notify_all();
  return frame;
}

}  // namespace wf::media
