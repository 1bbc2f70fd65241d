#pragma once
// The control image an IdentityNet is conditioned on: InstantID's drawing of the five facial keypoints on
// black (limbs from the nose to each eye and mouth corner as coloured ellipses at 60% brightness, then a
// dot per keypoint), made for a training crop or a target frame.

#include <array>
#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

namespace wf::face {

// `keypoints`: image-left eye, image-right eye, nose tip, left and right mouth corners, in the pixels of an
// image of `size`. Returns an 8-bit RGB image of that size (InstantID's colours are RGB).
cv::Mat draw_keypoints_5(cv::Size size, const std::array<cv::Point2f, 5>& keypoints);

}  // namespace wf::face
