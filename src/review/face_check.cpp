#include "review/face_check.h"

#include <opencv2/imgproc.hpp>

#include "models/face_analysers.h"
#include "face/embedder.h"

namespace wf::review {
namespace {

constexpr float kMinOverlap = 0.3f;
constexpr float kWindow = 2.5f;  // the search window's side, in tracked-box sides

}  // namespace

std::vector<cv::Point2f> track_landmarks(const dataset::FaceRecord& tracked) {
  cv::Mat to_frame;
  cv::invertAffineTransform(cv::Mat(*tracked.crop_matrix), to_frame);
  std::vector<cv::Point2f> points;
  cv::transform(tracked.landmarks_68, points, to_frame);
  return points;
}

FaceChecker::FaceChecker(models::FaceAnalysers& analysers, std::vector<float> identity)
    : analysers_(analysers), identity_(std::move(identity)) {}

FrameScore FaceChecker::check(const cv::Mat& frame, const dataset::FaceRecord& tracked) {
  // A window around the tracked face: the detector sees the face larger than in the whole frame, and faster.
  const cv::Rect2f box = tracked.bbox;
  const float side = kWindow * std::max(box.width, box.height);
  const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
  const cv::Rect window = cv::Rect(cv::Point(cvFloor(centre.x - side / 2), cvFloor(centre.y - side / 2)),
                                   cv::Size(cvCeil(side), cvCeil(side))) &
                          cv::Rect(0, 0, frame.cols, frame.rows);
  FrameScore score;
  if (window.empty()) return score;
  const cv::Mat region = frame(window);
  const cv::Rect2f local_box(box.x - static_cast<float>(window.x), box.y - static_cast<float>(window.y), box.width,
                             box.height);
  const face::Detection* best = nullptr;
  float best_overlap = kMinOverlap;
  const std::vector<face::Detection> detections = analysers_.detector->detect(region);
  for (const auto& detection : detections) {
    const float overlap = face::box_iou(detection.box, local_box);
    if (overlap >= best_overlap) {
      best_overlap = overlap;
      best = &detection;
    }
  }
  if (!best) return score;
  models::StageTimes unused;
  const models::AnalysedFace face = models::analyse_face(analysers_, region, *best, unused);
  score.found = true;
  score.confidence = best->score;
  score.similarity = face::cosine_similarity(face.embedding, identity_);
  const cv::Point2f offset(static_cast<float>(window.x), static_cast<float>(window.y));
  for (const auto& p : face.landmarks_68) score.landmarks.push_back(p + offset);
  return score;
}

}  // namespace wf::review
