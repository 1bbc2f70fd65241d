#pragma once
// 8-bit BGR images (OpenCV's layout) to and from RGB float tensors in [0, 1] (the models' layout).

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

namespace wf::nn {

// [3, H, W] RGB in [0, 1], fp32 on the CPU.
at::Tensor rgb_tensor(const cv::Mat& bgr);
// [3, H, W] or [1, 3, H, W] RGB in [0, 1] (any device, any float dtype) -> 8-bit BGR, rounded and clamped.
cv::Mat bgr_image(const at::Tensor& rgb);

}  // namespace wf::nn
