#pragma once
// Similarity alignment of a face to a template of five keypoints: the ArcFace 112x112 template that
// face embedders are trained on, and an FFHQ-style template for generative crops (256, 512, ...).

#include <opencv2/core/mat.hpp>

#include "face/types.h"

namespace wf::face {

enum class AlignTemplate { arcface, ffhq };

struct AlignedFace {
  cv::Mat image;    // size x size, BGR
  cv::Mat matrix;   // 2x3, image -> crop
  cv::Mat inverse;  // 2x3, crop -> image (for paste-back)
};

// The 2x3 similarity (rotation, uniform scale, translation) that best maps `points` onto the template.
cv::Mat alignment_matrix(const Keypoints5& points, AlignTemplate kind, int size);
AlignedFace align_face(const cv::Mat& image, const Keypoints5& points, AlignTemplate kind, int size);

// Head roll (degrees) the landmark models tolerate before they level the face and predict again.
inline constexpr double kMaxLandmarkRoll = 4.0;
// The angle (cv::getRotationMatrix2D's convention) that turns the line from `from` to `to` level, pointing right.
double level_angle(cv::Point2f from, cv::Point2f to);

}  // namespace wf::face
