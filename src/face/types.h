#pragma once
// What the face layer finds, in image pixel coordinates.

#include <array>
#include <optional>
#include <opencv2/core/types.hpp>

namespace wf::face {

// The five keypoints in ArcFace/InsightFace order, as they appear in the image: the eye on the image's
// left, the eye on the image's right, the nose tip, the mouth corner on the left, the one on the right.
using Keypoints5 = std::array<cv::Point2f, 5>;

struct Detection {
  cv::Rect2f box;
  float score = 0;  // calibrated 0..1 (review thresholds are defined on this scale)
  std::optional<Keypoints5> keypoints;
};

using Landmarks68 = std::array<cv::Point2f, 68>;

}  // namespace wf::face
