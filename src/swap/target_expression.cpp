#include "swap/target_expression.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "face/expression_regions.h"

namespace wf::swap {
namespace {

// A mouth open wider than this (gap over width) shows its interior, which is the target's whatever the source does;
// one whose opening differs from the source's by more is another expression too.
constexpr double kOpenMouth = 0.08;
// Eyes open less than this share of the other face's (each against its usual opening) show another expression.
constexpr double kEyeRatio = 0.75;

bool eyes_differ(double target, double source) {
  return target < kEyeRatio * source || source < kEyeRatio * target;
}

double width_of(const std::vector<cv::Point2f>& contour) {
  return cv::norm(contour.front() - contour[contour.size() / 2]);
}

}  // namespace

cv::Mat keep_target_expression(cv::Mat& swapped, const cv::Mat& target_crop, const ExpressionFace& target_face,
                               const ExpressionFace& source_face) {
  cv::Mat keep = cv::Mat::zeros(swapped.size(), CV_8U);
  const face::ExpressionRegions target = face::expression_regions(target_face.points);
  const face::ExpressionRegions source = face::expression_regions(source_face.points);
  if (target.empty() || source.empty()) return keep;
  const double mouth = target.mouth_opening();
  if (mouth > kOpenMouth || std::abs(mouth - source.mouth_opening()) > kOpenMouth) {
    const int grow = static_cast<int>(std::lround(0.04 * width_of(target.inner_mouth)));
    cv::bitwise_or(keep, face::polygon_mask(swapped.size(), target.inner_mouth, grow), keep);
  }
  if (eyes_differ(target_face.relative_eye_opening, source_face.relative_eye_opening)) {
    for (const auto& eye : target.eyes) {
      // Grown to take in the lids and lashes, whose shape is the blink.
      const int grow = static_cast<int>(std::lround(0.3 * width_of(eye)));
      cv::bitwise_or(keep, face::polygon_mask(swapped.size(), eye, grow), keep);
    }
  }
  if (cv::countNonZero(keep) == 0) return keep;
  const double sigma = std::max(1.0, 0.01 * swapped.cols);
  cv::Mat alpha;
  cv::GaussianBlur(keep, alpha, cv::Size(), sigma);
  alpha.convertTo(alpha, CV_32F, 1.0 / 255);
  cv::Mat alpha3, blended;
  cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
  cv::Mat a, b;
  swapped.convertTo(a, CV_32FC3);
  target_crop.convertTo(b, CV_32FC3);
  blended = a + alpha3.mul(b - a);
  blended.convertTo(swapped, swapped.type());
  return keep;
}

}  // namespace wf::swap
