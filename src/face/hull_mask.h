#pragma once
// The first mask of a face before XSeg is trained: the convex hull of its landmarks, feathered inwards.

#include <opencv2/core/mat.hpp>
#include <vector>

namespace wf::face {

// 8-bit single-channel mask of `size`: 255 inside the hull, 0 outside, and a ramp `feather` pixels wide
// that lies inside the hull (the border itself is already 0), so a paste-back never bleeds past the face.
cv::Mat hull_mask(cv::Size size, const std::vector<cv::Point2f>& points, float feather);

}  // namespace wf::face
