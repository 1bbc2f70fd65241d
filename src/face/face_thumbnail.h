#pragma once
// A face's neighbourhood as a square picture for people to look at (the review's before/after, the people found in
// a target video): 1.6 times the box's larger side around its centre, the frame's edge repeated where it runs out.

#include <opencv2/core/mat.hpp>

namespace wf::face {

cv::Mat face_thumbnail(const cv::Mat& frame, const cv::Rect2f& box, int size);

}  // namespace wf::face
