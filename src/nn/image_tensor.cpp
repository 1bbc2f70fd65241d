#include "nn/image_tensor.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

namespace wf::nn {

at::Tensor rgb_tensor(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).permute({2, 0, 1}).to(at::kFloat) / 255.0;
}

cv::Mat bgr_image(const at::Tensor& rgb) {
  const at::Tensor chw = rgb.dim() == 4 ? rgb[0] : rgb;
  const at::Tensor hwc = (chw.to(at::kFloat).cpu().permute({1, 2, 0}) * 255.0).round().clamp(0, 255).to(at::kByte).contiguous();
  const cv::Mat view(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3, hwc.data_ptr());
  cv::Mat bgr;
  cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

}  // namespace wf::nn
