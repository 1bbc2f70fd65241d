#pragma once
// A VideoReader on a thread of its own, a few frames ahead: decoding overlaps whatever the caller does with the
// previous frames (the swap engine), as the encoder, a process of its own, overlaps it on the other side.

#include <optional>

#include "core/prefetch_queue.h"
#include "media/video_reader.h"

namespace wf::media {

class FramePrefetcher {
 public:
  explicit FramePrefetcher(VideoReader reader, std::size_t ahead = 4)
      : reader_(std::move(reader)), info_(reader_.info()), frames_([this] { return reader_.next(); }, ahead) {}

  // The next frame, or nullopt at the end; rethrows what decoding threw.
  std::optional<Frame> next() { return frames_.next(); }
  const VideoInfo& info() const { return info_; }

 private:
  VideoReader reader_;
  VideoInfo info_;
  core::PrefetchQueue<Frame> frames_;  // last: its thread reads reader_
};

}  // namespace wf::media
