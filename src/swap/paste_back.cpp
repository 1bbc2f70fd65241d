#include "swap/paste_back.h"

#include <opencv2/imgproc.hpp>

namespace wf::swap {
namespace {

// A mask eroded by `feather` and blurred by it: the ramp lies inside the original, never past it.
cv::Mat feathered(const cv::Mat& mask, int feather) {
  if (feather <= 0) return mask.clone();
  cv::Mat inner;
  const int side = 2 * feather + 1;
  cv::erode(mask, inner, cv::getStructuringElement(cv::MORPH_ELLIPSE, {side, side}));
  cv::GaussianBlur(inner, inner, {side, side}, 0);
  return cv::min(inner, mask);
}

}  // namespace

cv::Mat frame_mask(cv::Size frame_size, const cv::Mat& mask, const cv::Mat& crop_matrix, int feather) {
  cv::Mat back;
  cv::warpAffine(feathered(mask, feather), back, crop_matrix, frame_size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  return back;
}

cv::Mat paste_back(const cv::Mat& frame, const cv::Mat& crop, const cv::Mat& mask, const cv::Mat& crop_matrix,
                   int feather) {
  const cv::Mat alpha = frame_mask(frame.size(), mask, crop_matrix, feather);
  cv::Mat face;
  cv::warpAffine(crop, face, crop_matrix, frame.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  // Blend only where the mask reaches: a bounding box of it, so the rest of the frame is never touched.
  cv::Mat out = frame.clone();
  const cv::Rect box = cv::boundingRect(alpha);
  if (box.empty()) return out;
  cv::Mat weight, rest;
  alpha(box).convertTo(weight, CV_32F, 1.0 / 255);
  cv::subtract(cv::Scalar(1.0), weight, rest);
  cv::Mat blended;
  cv::blendLinear(face(box), frame(box), weight, rest, blended);
  blended.copyTo(out(box), alpha(box) > 0);
  return out;
}

}  // namespace wf::swap
