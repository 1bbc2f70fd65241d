#include "swap/frame_swapper.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "face/hull_mask.h"
#include "media/image_io.h"
#include "swap/swap_engines.h"
#include "swap/paste_back.h"
#include "swap/track_smoothing.h"

namespace wf::swap {

TargetTrack load_target_track(const SwapOptions& options) {
  std::vector<dataset::FaceRecord> records = dataset::read_records(options.target);
  if (options.smooth_landmarks) smooth_track(records);
  TargetTrack track;
  for (auto& record : records) {
    if (!record.crop_matrix) {
      throw Error(ErrorCode::invalid_input, "face " + record.id + " has no crop matrix", options.target,
                  "extract the target again with this version");
    }
    const std::int64_t index = record.frame_index;
    track.emplace(index, std::move(record));
  }
  if (track.empty()) {
    throw Error(ErrorCode::invalid_input, "the target dataset has no faces: there is nothing to swap", options.target,
                "extract the target with a reference photo of the face to replace (--reference)");
  }
  return track;
}

FrameSwapper::FrameSwapper(SwapOptions options)
    : options_(std::move(options)), source_(load_source_faces(options_.source)), track_(load_target_track(options_)) {
  crop_size_ = media::read_image(options_.target / track_.begin()->second.file_name()).cols;
  engine_ = make_engine();
}

FrameSwapper::~FrameSwapper() = default;

std::unique_ptr<SwapEngine> FrameSwapper::make_engine() const {
  return engine_spec(options_.engine).make(source_, options_);
}

void FrameSwapper::set_options(const SwapOptions& options) {
  if (options.engine != options_.engine || options.source != options_.source || options.target != options_.target ||
      options.smooth_landmarks != options_.smooth_landmarks || options.onnx_model != options_.onnx_model) {
    throw Error(ErrorCode::invalid_input, "new settings for a loaded swap may not change its engine, data or models",
                options.target, "start a new swap for other inputs");
  }
  options_ = options;
  if (!engine_->reconfigure(options_)) engine_ = make_engine();
}

FrameSwapper::FaceMask FrameSwapper::mask_of(const dataset::FaceRecord& record) const {
  const cv::Size size(crop_size_, crop_size_);
  if (!record.mask_origin) return {face::hull_mask(size, record.landmarks_68, 0.f), "hull", ""};
  const auto path = options_.target / record.mask_file_name();
  cv::Mat mask = media::read_mask(path);
  if (mask.size() != size) {
    throw Error(ErrorCode::invalid_input,
                "the mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) + ", its face crop " +
                    std::to_string(size.width) + "x" + std::to_string(size.height),
                path, "paint the mask again at the face crop's size, or apply XSeg again");
  }
  const std::string origin(dataset::to_string(*record.mask_origin));
  if (record.landmarks_68.size() < 3) return {mask, origin, ""};
  // The engines swap where the mask is over half (> 127); a speck, a line or a faint mask swaps next to nothing,
  // and OpenCV's Poisson cloning throws on a region one or two pixels across.
  const cv::Mat hull = face::hull_mask(size, record.landmarks_68, 0.f);
  const double share = static_cast<double>(cv::countNonZero(mask > 127)) / std::max(1, cv::countNonZero(hull > 127));
  if (share >= kMinMaskShare) return {mask, origin, ""};
  return {hull, "hull",
          "the " + origin + " mask covers " + std::to_string(std::lround(100 * share)) +
              "% of the face: pasted through the landmarks' hull instead"};
}

cv::Mat FrameSwapper::swap(const cv::Mat& frame, std::int64_t index, nlohmann::json* report) {
  const auto it = track_.find(index);
  if (it == track_.end()) return frame;
  const dataset::FaceRecord& record = it->second;
  cv::Mat matrix;
  cv::Mat(*record.crop_matrix).convertTo(matrix, CV_64F);
  SwapFace face;
  cv::warpAffine(frame, face.crop, matrix, {crop_size_, crop_size_}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  face.landmarks_68 = record.landmarks_68;
  face.landmarks_478 = record.landmarks_478;
  face.keypoints_5 = record.keypoints_5;
  face.frame_index = index;
  FaceMask mask = mask_of(record);
  face.mask = std::move(mask.mask);
  const int grow = static_cast<int>(std::lround(options_.mask_grow * crop_size_));
  if (grow != 0) {
    const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * std::abs(grow) + 1, 2 * std::abs(grow) + 1});
    if (grow > 0) {
      cv::dilate(face.mask, face.mask, disc);
    } else {
      cv::erode(face.mask, face.mask, disc);
    }
  }
  const SwappedFace swapped = engine_->swap(face);
  if (report) {
    nlohmann::json entry{
        {"frame", index}, {"face", record.id}, {"source_face", swapped.source_id}, {"mask", mask.origin}};
    if (!mask.warning.empty()) entry["warning"] = mask.warning;
    report->push_back(std::move(entry));
  }
  const int feather = options_.feather >= 0 ? options_.feather : std::max(1, crop_size_ / 32);
  return paste_back(frame, swapped.crop, swapped.mask, matrix, feather);
}

}  // namespace wf::swap
