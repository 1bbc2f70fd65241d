#pragma once
// A swapped face crop back into its frame: the crop and its mask warped by the inverse of the crop's alignment,
// the mask feathered inwards, and the two blended by it. Frame pixels where the warped mask is 0 come back bit
// for bit, so everything outside the face is the original video.

#include <opencv2/core/mat.hpp>

namespace wf::swap {

// `crop_matrix`: 2x3, frame -> crop pixels (the dataset's crop_matrix). `mask`: 8-bit, the crop's size, 255 =
// the swapped face. `feather`: pixels of the inward ramp, in the crop's pixels.
cv::Mat paste_back(const cv::Mat& frame, const cv::Mat& crop, const cv::Mat& mask, const cv::Mat& crop_matrix,
                   int feather);

// The mask as the frame sees it: warped back and feathered, 8-bit, the frame's size (what paste_back blends by).
cv::Mat frame_mask(cv::Size frame_size, const cv::Mat& mask, const cv::Mat& crop_matrix, int feather);

}  // namespace wf::swap
