#pragma once
// XSeg's training data, from a target dataset: each face crop at the network's resolution with its label —
// a painted mask where the user painted one, else the hull of its landmarks (regenerated, so labels
// survive `apply xseg` overwriting masks/). A fixed tenth of the faces (at least one) is held out.
// Training samples are augmented: flip, affine jitter, colour jitter, blur, and a random occluder pasted
// over the face with the label cut away under it, so the net learns occlusion even from hull labels.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace wf::xseg {

struct XSegImages {
  std::vector<cv::Mat> images;  // BGR 8-bit, resolution x resolution
  std::vector<cv::Mat> labels;  // 8-bit 0 / 255
};

// Network input: RGB, ImageNet mean and std (smp's preprocessing for ResNet encoders), NCHW float.
at::Tensor to_input(const std::vector<cv::Mat>& images);
at::Tensor to_target(const std::vector<cv::Mat>& labels);  // N x 1 x H x W, 0 or 1

class XSegData {
 public:
  // Throws wf::Error(invalid_input) naming the folder for a dataset without faces, with masks of the wrong
  // size, or whose labels are all empty.
  XSegData(const std::filesystem::path& dataset, int resolution, double held_out_fraction = 0.1);

  std::size_t train_size() const { return train_.images.size(); }
  const XSegImages& held_out() const { return held_out_; }
  int resolution() const { return resolution_; }

  // Training samples `indices`, each augmented with `rng`.
  XSegImages augmented(const std::vector<std::size_t>& indices, std::mt19937_64& rng) const;

 private:
  int resolution_;
  XSegImages train_, held_out_;
};

// One augmentation of an image and its label (exposed for tests).
std::pair<cv::Mat, cv::Mat> augment(const cv::Mat& image, const cv::Mat& label, std::mt19937_64& rng);

}  // namespace wf::xseg
