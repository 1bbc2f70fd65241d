#pragma once
// Frames out of any video OpenCV's FFmpeg backend decodes, upright as a player shows them (a phone clip's display
// matrix applied), with the frame index and timestamp kept, and the sampling a user asks for (every frame, every
// Nth, N per second, a time range).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <optional>

namespace wf::media {

struct FrameSampling {
  int every_nth = 1;             // keep frames 0, N, 2N, ...
  double per_second = 0;         // > 0: keep about this many frames per second instead
  double start_s = 0;            // time range, seconds
  double end_s = -1;             // < 0: to the end
  std::int64_t first_frame = 0;  // frame range by index, [first_frame, end_frame); frames before it are skipped
  std::int64_t end_frame = -1;   // without being converted. < 0: to the end
};

struct Frame {
  cv::Mat image;           // 8-bit BGR
  std::int64_t index = 0;  // frame number in the video
  double timestamp = 0;    // seconds (index / fps)
};

struct VideoInfo {
  int width = 0, height = 0;  // the upright frames'
  double fps = 0;
  std::int64_t frame_count = 0;  // as the container states it
};

class VideoReader {
 public:
  // Throws wf::Error: not_found, or invalid_input for a file that is not a decodable video.
  VideoReader(const std::filesystem::path& path, FrameSampling sampling = {});
  ~VideoReader();
  VideoReader(VideoReader&&) noexcept;
  VideoReader& operator=(VideoReader&&) noexcept;

  const VideoInfo& info() const { return info_; }
  // How many frames the sampling will give, from the container's frame count (nullopt when it states none).
  std::optional<std::int64_t> expected_frames() const;
  // The next sampled frame, or nullopt at the end (a truncated file ends early, not with an error).
  std::optional<Frame> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  VideoInfo info_;
};

}  // namespace wf::media
