#include "face/aligner.h"

#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace wf::face {
namespace {

// InsightFace's arcface_dst for 112x112 crops, in pixels.
const std::array<cv::Point2f, 5> kArcface112{{{38.2946f, 51.6963f},
                                                   {73.5318f, 51.5014f},
                                                   {56.0252f, 71.7366f},
                                                   {41.5493f, 92.3655f},
                                                   {70.7299f, 92.2041f}}};

// FFHQ-style 512 template (as FaceFusion's ffhq_512), in units of the crop size.
const std::array<cv::Point2f, 5> kFfhqUnit{{{0.37691676f, 0.46864664f},
                                                 {0.62285697f, 0.46912813f},
                                                 {0.50123859f, 0.61331904f},
                                                 {0.39308822f, 0.72541100f},
                                                 {0.61150205f, 0.72490465f}}};

}  // namespace

cv::Mat alignment_matrix(const Keypoints5& points, AlignTemplate kind, int size) {
  if (size < 16) throw Error(ErrorCode::invalid_input, "aligned crops must be at least 16 pixels");
  std::vector<cv::Point2f> target;
  for (std::size_t i = 0; i < 5; ++i) {
    target.push_back(kind == AlignTemplate::arcface ? kArcface112[i] * (size / 112.0f) : kFfhqUnit[i] * float(size));
  }
  const std::vector<cv::Point2f> source(points.begin(), points.end());
  cv::Mat matrix = cv::estimateAffinePartial2D(source, target, cv::noArray(), cv::LMEDS);
  if (matrix.empty()) {
    throw Error(ErrorCode::invalid_input, "the five keypoints are degenerate (all on one line or point)");
  }
  return matrix;
}

AlignedFace align_face(const cv::Mat& image, const Keypoints5& points, AlignTemplate kind, int size) {
  AlignedFace aligned;
  aligned.matrix = alignment_matrix(points, kind, size);
  cv::invertAffineTransform(aligned.matrix, aligned.inverse);
  cv::warpAffine(image, aligned.image, aligned.matrix, {size, size}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return aligned;
}

double level_angle(cv::Point2f from, cv::Point2f to) {
  return std::atan2(to.y - from.y, to.x - from.x) * 180.0 / CV_PI;
}

}  // namespace wf::face
