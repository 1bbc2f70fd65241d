#include "face/hull_mask.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace wf::face {

cv::Mat hull_mask(cv::Size size, const std::vector<cv::Point2f>& points, float feather) {
  if (points.size() < 3) throw Error(ErrorCode::invalid_input, "a hull mask needs at least three landmarks");
  std::vector<cv::Point2f> hull;
  cv::convexHull(points, hull);
  std::vector<cv::Point> polygon;
  for (const auto& p : hull) polygon.emplace_back(cvRound(p.x), cvRound(p.y));
  cv::Mat mask = cv::Mat::zeros(size, CV_8UC1);
  cv::fillConvexPoly(mask, polygon, cv::Scalar(255), cv::LINE_AA);
  if (feather >= 1.f) {
    // Shrink by half the ramp, then blur with a kernel as wide as the ramp (3 sigma = half of it): the
    // ramp runs from the hull's edge (about 0) to a full ramp inside (about 255).
    const int radius = std::max(1, cvRound(feather / 2));
    cv::erode(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * radius + 1, 2 * radius + 1}));
    cv::GaussianBlur(mask, mask, {2 * radius + 1, 2 * radius + 1}, feather / 6.0);
  }
  return mask;
}

}  // namespace wf::face
