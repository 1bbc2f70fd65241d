#include "media/video_reader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "core/error.h"
#include "media/image_io.h"

namespace wf::media {

namespace {

// How to turn a decoded frame upright for a display matrix of `degrees` counter-clockwise; nullopt: as it is.
std::optional<cv::RotateFlags> upright_turn(double degrees) {
  switch ((static_cast<int>(std::lround(degrees)) % 360 + 360) % 360) {
    case 90: return cv::ROTATE_90_COUNTERCLOCKWISE;
    case 180: return cv::ROTATE_180;
    case 270: return cv::ROTATE_90_CLOCKWISE;
    default: return std::nullopt;
  }
}

}  // namespace

struct VideoReader::Impl {
  cv::VideoCapture capture;
  std::optional<cv::RotateFlags> turn;  // applied to each frame
  FrameSampling sampling;
  std::int64_t index = -1;  // last frame decoded
  double next_keep_s = 0;   // per_second sampling: the next timestamp to keep
};

VideoReader::VideoReader(const std::filesystem::path& path, FrameSampling sampling) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(ErrorCode::not_found, "video not found", path, "check the path");
  if (is_image_file(path)) {  // a target photo: ffmpeg would allocate whatever its header declares
    std::ifstream header(path, std::ios::binary);
    check_image_pixels(header, "'" + path.filename().string() + "'", path);
  }
  if (sampling.every_nth < 1 || sampling.per_second < 0 || (sampling.end_s >= 0 && sampling.end_s < sampling.start_s) ||
      sampling.first_frame < 0 || (sampling.end_frame >= 0 && sampling.end_frame < sampling.first_frame)) {
    throw Error(ErrorCode::invalid_input,
                "invalid frame sampling (every_nth >= 1, per_second >= 0, each range ends after it starts)");
  }
  impl_->sampling = sampling;
  if (!impl_->capture.open(path.string(), cv::CAP_FFMPEG) || !impl_->capture.isOpened()) {
    throw Error(ErrorCode::invalid_input, "not a video WatserFace can decode (or the file is damaged)", path,
                "convert it with ffmpeg to H.264 MP4");
  }
  // A phone's clip carries a display matrix (a 90 or 270 degree turn). OpenCV 4.6 reads its angle right but turns
  // the frames the other way than players do, which left them upside down: the turn is done here instead.
  impl_->capture.set(cv::CAP_PROP_ORIENTATION_AUTO, 0);
  impl_->turn = upright_turn(impl_->capture.get(cv::CAP_PROP_ORIENTATION_META));
  info_.width = static_cast<int>(impl_->capture.get(cv::CAP_PROP_FRAME_WIDTH));
  info_.height = static_cast<int>(impl_->capture.get(cv::CAP_PROP_FRAME_HEIGHT));
  if (impl_->turn && *impl_->turn != cv::ROTATE_180) std::swap(info_.width, info_.height);
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
  auto first = static_cast<std::int64_t>(std::ceil(s.start_s * info_.fps - 1e-9));
  std::int64_t last = info_.frame_count - 1;
  if (s.end_frame >= 0) last = std::min(last, s.end_frame - 1);
  first = std::max(first, s.first_frame);
  if (s.end_s >= 0) last = std::min(last, static_cast<std::int64_t>(std::floor(s.end_s * info_.fps + 1e-9)));
  const std::int64_t span = std::max<std::int64_t>(0, last - first + 1);
  if (s.per_second > 0) {
    return static_cast<std::int64_t>(
        std::ceil(static_cast<double>(span) * std::min(s.per_second, info_.fps) / info_.fps));
  }
  return (span + s.every_nth - 1) / s.every_nth;
}

std::optional<Frame> VideoReader::next() {
  auto& s = impl_->sampling;
  while (impl_->index + 1 < s.first_frame && impl_->capture.grab()) ++impl_->index;
  if (s.end_frame >= 0 && impl_->index + 1 >= s.end_frame) return std::nullopt;
  cv::Mat image;
  while (impl_->capture.read(image)) {
    const std::int64_t index = ++impl_->index;
    if (s.end_frame >= 0 && index >= s.end_frame) return std::nullopt;
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
    if (!impl_->turn) return Frame{image, index, timestamp};
    cv::Mat upright;
    cv::rotate(image, upright, *impl_->turn);
    return Frame{upright, index, timestamp};
  }
  return std::nullopt;
}

}  // namespace wf::media
