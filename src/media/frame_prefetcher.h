#pragma once
// A VideoReader on a thread of its own, a few frames ahead: decoding overlaps whatever the caller does with the
// previous frames (the swap engine), as the encoder, a process of its own, overlaps it on the other side.

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "media/video_reader.h"

namespace wf::media {

class FramePrefetcher {
 public:
  FramePrefetcher(VideoReader reader, std::size_t ahead = 4);
  ~FramePrefetcher();  // stops the thread
  FramePrefetcher(const FramePrefetcher&) = delete;
  FramePrefetcher& operator=(const FramePrefetcher&) = delete;

  // The next frame, or nullopt at the end; rethrows what decoding threw.
  std::optional<Frame> next();
  const VideoInfo& info() const { return info_; }

 private:
  void run();

  VideoReader reader_;
  VideoInfo info_;
  std::size_t ahead_;
  std::deque<Frame> frames_;
  bool done_ = false, stop_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

}  // namespace wf::media
