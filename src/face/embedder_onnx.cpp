// ArcFace-style ONNX embedders through OpenCV DNN.

#include <opencv2/dnn.hpp>

#include "core/error.h"
#include "face/embedder.h"
#include "face/onnx_net.h"

namespace wf::face {
namespace {

constexpr int kArcfaceSize = 112;

class OnnxEmbedder final : public FaceEmbedder {
 public:
  explicit OnnxEmbedder(const std::filesystem::path& model)
      : path_(model),
        net_(load_onnx_net(model, "ONNX face embedder",
                           "put an ArcFace ONNX file there (watserface doctor lists the names it looks for)")) {
    dimension_ = static_cast<int>(forward(cv::Mat(kArcfaceSize, kArcfaceSize, CV_8UC3, cv::Scalar::all(128))).total());
  }

  std::vector<float> embed_aligned(const cv::Mat& crop) const override {
    if (crop.rows != kArcfaceSize || crop.cols != kArcfaceSize || crop.type() != CV_8UC3) {
      throw Error(ErrorCode::invalid_input, "the embedder needs a 112x112 colour crop aligned to the ArcFace template");
    }
    cv::Mat out = forward(crop).reshape(1, 1);
    cv::normalize(out, out);  // L2
    return std::vector<float>(out.begin<float>(), out.end<float>());
  }

  int input_size() const override { return kArcfaceSize; }
  int dimension() const override { return dimension_; }

 private:
  cv::Mat forward(const cv::Mat& crop) const {
    // OpenCV's Net::forward is not const; one embedder serves one thread at a time.
    const cv::Mat blob = cv::dnn::blobFromImage(crop, 1.0 / 127.5, {kArcfaceSize, kArcfaceSize},
                                                cv::Scalar::all(127.5), /*swapRB=*/true);
    try {
      net_.setInput(blob);
      return net_.forward().clone();
    } catch (const cv::Exception& e) {
      throw Error(ErrorCode::invalid_input, std::string("the ONNX embedder failed: ") + e.err, path_,
                  "check that the model takes 1x3x112x112 input, as ArcFace models do");
    }
  }

  std::filesystem::path path_;
  mutable cv::dnn::Net net_;
  int dimension_ = 0;
};

}  // namespace

std::unique_ptr<FaceEmbedder> make_onnx_embedder(const std::filesystem::path& model_onnx) {
  return std::make_unique<OnnxEmbedder>(model_onnx);
}

}  // namespace wf::face
