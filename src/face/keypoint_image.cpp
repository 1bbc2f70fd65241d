#include "face/keypoint_image.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <vector>

namespace wf::face {

cv::Mat draw_keypoints_5(cv::Size size, const std::array<cv::Point2f, 5>& keypoints) {
  // InstantID's palette (RGB) and limbs, each limb coloured by its first keypoint; sizes are its 4 px limbs
  // and 10 px dots, which it draws at every resolution.
  const std::array<cv::Scalar, 5> colours{cv::Scalar(255, 0, 0), cv::Scalar(0, 255, 0), cv::Scalar(0, 0, 255),
                                          cv::Scalar(255, 255, 0), cv::Scalar(255, 0, 255)};
  constexpr int kLimbs[4][2] = {{0, 2}, {1, 2}, {3, 2}, {4, 2}};
  constexpr double kLimbWidth = 4, kDotRadius = 10;
  cv::Mat limbs = cv::Mat::zeros(size, CV_8UC3);
  for (const auto& limb : kLimbs) {
    const cv::Point2f a = keypoints[static_cast<std::size_t>(limb[0])], b = keypoints[static_cast<std::size_t>(limb[1])];
    const cv::Point2f middle = (a + b) * 0.5f;
    const double length = std::hypot(a.x - b.x, a.y - b.y);
    const double angle = std::atan2(a.y - b.y, a.x - b.x) * 180.0 / CV_PI;
    std::vector<cv::Point> polygon;
    // Truncated to integers as InstantID's int() does, so the drawings match pixel for pixel.
    cv::ellipse2Poly(cv::Point(static_cast<int>(middle.x), static_cast<int>(middle.y)),
                     cv::Size(static_cast<int>(length / 2), static_cast<int>(kLimbWidth)), static_cast<int>(angle), 0, 360, 1,
                     polygon);
    cv::fillConvexPoly(limbs, polygon, colours[static_cast<std::size_t>(limb[0])]);
  }
  cv::Mat image;
  limbs.convertTo(image, CV_8UC3, 0.6);
  for (std::size_t i = 0; i < keypoints.size(); ++i) {
    cv::circle(image, cv::Point(static_cast<int>(keypoints[i].x), static_cast<int>(keypoints[i].y)), static_cast<int>(kDotRadius),
               colours[i], cv::FILLED);
  }
  return image;
}

}  // namespace wf::face
