#include "face/embedder.h"

#include <ATen/ATen.h>

#include <numeric>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/aligner.h"
#include "nn/tfjs/executor.h"

namespace wf::face {

std::vector<float> FaceEmbedder::embed(const cv::Mat& image, const Keypoints5& keypoints) const {
  return embed_aligned(align_face(image, keypoints, AlignTemplate::arcface, input_size()).image);
}

float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) {
    throw Error(ErrorCode::invalid_input, "embeddings of different sizes cannot be compared (" +
                                              std::to_string(a.size()) + " and " + std::to_string(b.size()) + ")");
  }
  const double dot = std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
  const double na = std::sqrt(std::inner_product(a.begin(), a.end(), a.begin(), 0.0));
  const double nb = std::sqrt(std::inner_product(b.begin(), b.end(), b.begin(), 0.0));
  return static_cast<float>(dot / std::max(na * nb, 1e-12));
}

namespace {

class TfjsEmbedder final : public FaceEmbedder {
 public:
  TfjsEmbedder(const std::filesystem::path& model_json, int size)
      : executor_(nn::tfjs::Executor::load(model_json)), size_(size) {
    const auto probe = run(cv::Mat(size_, size_, CV_8UC3, cv::Scalar(128, 128, 128)));
    dimension_ = static_cast<int>(probe.numel());
  }

  std::vector<float> embed_aligned(const cv::Mat& crop) const override {
    if (crop.rows != size_ || crop.cols != size_ || crop.type() != CV_8UC3) {
      throw Error(ErrorCode::invalid_input, "the embedder needs a " + std::to_string(size_) + "x" +
                                                std::to_string(size_) + " colour crop aligned to the ArcFace template");
    }
    const at::Tensor raw = run(crop);
    const at::Tensor vector = (raw / raw.norm().clamp_min(1e-12)).contiguous();
    return {vector.data_ptr<float>(), vector.data_ptr<float>() + vector.numel()};
  }

  int input_size() const override { return size_; }
  int dimension() const override { return dimension_; }

 private:
  at::Tensor run(const cv::Mat& crop) const {
    cv::Mat rgb;
    cv::cvtColor(crop, rgb, cv::COLOR_BGR2RGB);
    const at::Tensor input = at::from_blob(rgb.data, {1, size_, size_, 3}, at::kByte).to(at::kFloat);
    const auto outputs = executor_.run({{executor_.model().input_names.at(0), input}});
    return outputs.begin()->second.reshape({-1}).to(at::kFloat).contiguous();
  }

  nn::tfjs::Executor executor_;
  int size_;
  int dimension_ = 0;
};

}  // namespace

std::unique_ptr<FaceEmbedder> make_tfjs_embedder(const std::filesystem::path& model_json, int input_size) {
  return std::make_unique<TfjsEmbedder>(model_json, input_size);
}

}  // namespace wf::face
