#include "media/video_reader.h"

#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace wf::media {

struct VideoReader::Impl {
  cv::VideoCapture capture;
  FrameSampling sampling;
  std::int64_t index = -1;     // last frame decoded
  double next_keep_s = 0;      // per_second sampling: the next timestamp to keep
};

VideoReader::VideoReader(const std::filesystem::path& path, FrameSampling sampling) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(ErrorCode::not_found, "video not found", path, "check the path");
  if (sampling.every_nth < 1 || sampling.per_second < 0 || (sampling.end_s >= 0 && sampling.end_s < sampling.start_s)) {
    throw Error(ErrorCode::invalid_input, "invalid frame sampling (every_nth >= 1, per_second >= 0, end after start)");
  }
  impl_->sampling = sampling;
  if (!impl_->capture.open(path.string(), cv::CAP_FFMPEG) || !impl_->capture.isOpened()) {
    throw Error(ErrorCode::invalid_input, "not a video WatserFace can decode (or the file is damaged)", path,
                "convert it with ffmpeg to H.264 MP4");
  }
  info_.width = static_cast<int>(impl_->capture.get(cv::CAP_PROP_FRAME_WIDTH));
  info_.height = static_cast<int>(impl_->capture.get(cv::CAP_PROP_FRAME_HEIGHT));
  info_.fps = impl_->capture.get(cv::CAP_PROP_FPS);
  info_.frame_count = static_cast<std::int64_t>(impl_->capture.get(cv::CAP_PROP_FRAME_COUNT));
  if (info_.width <= 0 || info_.height <= 0 || !(info_.fps > 0)) {
    throw Error(ErrorCode::invalid_input, "the video has no decodable picture stream", path,
                "convert it with ffmpeg to H.264 MP4");
  }
  impl_->next_keep_s = sampling.start_s;
}

VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;

std::optional<std::int64_t> VideoReader::expected_frames() const {
  if (info_.frame_count <= 0) return std::nullopt;
  const auto& s = impl_->sampling;
  const auto first = static_cast<std::int64_t>(std::ceil(s.start_s * info_.fps - 1e-9));
  std::int64_t last = info_.frame_count - 1;
  if (s.end_s >= 0) last = std::min(last, static_cast<std::int64_t>(std::floor(s.end_s * info_.fps + 1e-9)));
  const std::int64_t span = std::max<std::int64_t>(0, last - first + 1);
  if (s.per_second > 0) {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(span) * std::min(s.per_second, info_.fps) / info_.fps));
  }
  return (span + s.every_nth - 1) / s.every_nth;
}

std::optional<Frame> VideoReader::next() {
  auto& s = impl_->sampling;
  cv::Mat image;
  while (impl_->capture.read(image)) {
    const std::int64_t index = ++impl_->index;
    const double timestamp = static_cast<double>(index) / info_.fps;
    if (timestamp + 1e-9 < s.start_s) continue;
    if (s.end_s >= 0 && timestamp > s.end_s + 1e-9) return std::nullopt;
    if (s.per_second > 0) {
      if (timestamp + 0.5 / info_.fps < impl_->next_keep_s) continue;
      impl_->next_keep_s += 1.0 / s.per_second;
    } else {
      const auto since_start = index - static_cast<std::int64_t>(std::llround(s.start_s * info_.fps));
      if (since_start % s.every_nth != 0) continue;
    }
    return Frame{image, index, timestamp};
  }
  return std::nullopt;
}

}  // namespace wf::media
