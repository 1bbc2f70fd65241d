#include "swap/frame_swapper.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/median.h"
#include "dataset/imagefolder.h"
#include "face/expression_regions.h"
#include "face/hull_mask.h"
#include "media/image_io.h"
#include "swap/paste_back.h"
#include "swap/swap_engines.h"
#include "swap/track_smoothing.h"

namespace wf::swap {

namespace {

// Each face's eye opening over the median of the track's, from the landmarks as they were found: smoothing would
// soften a blink into a narrowing.
std::map<std::int64_t, double> relative_eye_openings(const std::vector<dataset::FaceRecord>& records) {
  std::map<std::int64_t, double> openings;
  std::vector<double> values;
  for (const auto& record : records) {
    const double opening =
        face::expression_regions(face::expression_points(record.landmarks_478, record.landmarks_68)).eyes_opening();
    openings[record.frame_index] = opening;
    values.push_back(opening);
  }
  const double typical = core::median_in_place(values);
  for (auto& [frame, opening] : openings) opening = typical > 0 ? opening / typical : 1;
  return openings;
}

// The target dataset's `records` as the swap places them.
TargetTrack track_of(std::vector<dataset::FaceRecord> records, const SwapOptions& options) {
  if (options.smoothing) smooth_track(records, target_cuts(options.target));
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

}  // namespace

TargetTrack load_target_track(const SwapOptions& options) {
  return track_of(dataset::read_records(options.target), options);
}

std::vector<std::int64_t> target_cuts(const std::filesystem::path& target_dataset) {
  const dataset::DatasetCard card = dataset::read_card(target_dataset);
  return card.video ? card.video->cuts : std::vector<std::int64_t>{};
}

FrameSwapper::FrameSwapper(SwapOptions options)
    : options_(std::move(options)), source_(load_source_faces(options_.source)) {
  std::vector<dataset::FaceRecord> records = dataset::read_records(options_.target);  // read once: it can be large
  eye_openings_ = relative_eye_openings(records);
  track_ = track_of(std::move(records), options_);
  crop_size_ = media::read_image(options_.target / track_.begin()->second.file_name()).cols;
  engine_ = make_engine();
}

FrameSwapper::~FrameSwapper() = default;

std::unique_ptr<SwapEngine> FrameSwapper::make_engine() const {
  return engine_spec(options_.engine).make(source_, options_);
}

void FrameSwapper::set_options(const SwapOptions& options) {
  if (options.engine != options_.engine || options.source != options_.source || options.target != options_.target ||
      options.smoothing != options_.smoothing || options.onnx_model != options_.onnx_model) {
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
  if (const auto opening = eye_openings_.find(index); opening != eye_openings_.end()) {
    face.relative_eye_opening = opening->second;
  }
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
