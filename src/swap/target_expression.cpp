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

}  // namespace

cv::Mat keep_target_expression(cv::Mat& swapped, const cv::Mat& target_crop, const ExpressionFace& target_face,
                               const ExpressionFace& source_face) {
  cv::Mat keep = cv::Mat::zeros(swapped.size(), CV_8U);
  const face::ExpressionRegions target = face::expression_regions(target_face.points);
  const face::ExpressionRegions source = face::expression_regions(source_face.points);
  if (target.empty() || source.empty()) return keep;
  const double mouth = target.mouth_opening();
  if (mouth > kOpenMouth || std::abs(mouth - source.mouth_opening()) > kOpenMouth) {
    const int grow = static_cast<int>(std::lround(0.04 * target.mouth_width()));
    cv::bitwise_or(keep, face::polygon_mask(swapped.size(), target.inner_mouth, grow), keep);
  }
  if (eyes_differ(target_face.relative_eye_opening, source_face.relative_eye_opening)) {
    for (std::size_t e = 0; e < target.eyes.size(); ++e) {
      // Grown to take in the lids and lashes, whose shape is the blink.
      const int grow = static_cast<int>(std::lround(0.3 * target.eye_width(e)));
      cv::bitwise_or(keep, face::polygon_mask(swapped.size(), target.eyes[e], grow), keep);
    }
  }
  if (cv::countNonZero(keep) == 0) return keep;
  const double sigma = std::max(1.0, 0.01 * swapped.cols);
  cv::Mat feathered, weight, rest;
  cv::GaussianBlur(keep, feathered, cv::Size(), sigma);
  feathered.convertTo(weight, CV_32F, 1.0 / 255);
  cv::subtract(cv::Scalar(1.0), weight, rest);
  cv::Mat blended;
  cv::blendLinear(target_crop, swapped, weight, rest, blended);
  swapped = blended;
  return keep;
}

}  // namespace wf::swap
