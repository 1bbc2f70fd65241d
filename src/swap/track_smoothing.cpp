#include "swap/track_smoothing.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace wf::swap {
namespace {

// All of a record's 2-D points in one list (keypoints, 68, then the 478's x and y) and back.
std::vector<cv::Point2f> points_of(const dataset::FaceRecord& r) {
  std::vector<cv::Point2f> points(r.keypoints_5.begin(), r.keypoints_5.end());
  points.insert(points.end(), r.landmarks_68.begin(), r.landmarks_68.end());
  for (const auto& p : r.landmarks_478) points.emplace_back(p.x, p.y);
  return points;
}

void set_points(dataset::FaceRecord& r, const std::vector<cv::Point2f>& points) {
  std::size_t i = 0;
  for (auto& p : r.keypoints_5) p = points[i++];
  for (auto& p : r.landmarks_68) p = points[i++];
  for (auto& p : r.landmarks_478) {
    p.x = points[i].x;
    p.y = points[i++].y;
  }
}

}  // namespace

void smooth_track(std::vector<dataset::FaceRecord>& records, const std::vector<std::int64_t>& cuts,
                  const face::OneEuroSettings& settings) {
  face::LandmarkSmoother smoother(settings);
  const dataset::FaceRecord* previous = nullptr;
  for (auto& record : records) {
    if (!record.crop_matrix) continue;
    if (!previous || record.frame_index != previous->frame_index + 1 ||
        points_of(record).size() != points_of(*previous).size() ||
        std::binary_search(cuts.begin(), cuts.end(), record.frame_index)) {
      smoother.reset();
    }
    const cv::Mat to_crop(*record.crop_matrix);
    cv::Mat to_frame;
    cv::invertAffineTransform(to_crop, to_frame);
    std::vector<cv::Point2f> in_frame;
    cv::transform(points_of(record), in_frame, to_frame);
    std::vector<cv::Point2f> smoothed = smoother.smooth(in_frame, record.timestamp), in_crop;
    cv::transform(smoothed, in_crop, to_crop);
    set_points(record, in_crop);
    previous = &record;
  }
}

}  // namespace wf::swap
