#include "face/detector.h"

#include <algorithm>
#include <opencv2/dnn.hpp>

namespace wf::face {

float box_iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float overlap = (a & b).area();
  const float total = a.area() + b.area() - overlap;
  return total > 0 ? overlap / total : 0.f;
}

std::vector<Detection> finish_detections(std::vector<Detection> detections, const DetectorOptions& options) {
  std::erase_if(detections, [&](const Detection& d) {
    return d.score < options.min_score || std::min(d.box.width, d.box.height) < options.min_face;
  });
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  for (const auto& d : detections) {
    boxes.emplace_back(d.box.x, d.box.y, d.box.width, d.box.height);
    scores.push_back(d.score);
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, options.min_score, options.nms_iou, keep);
  std::vector<Detection> kept;
  for (int index : keep) kept.push_back(detections[static_cast<std::size_t>(index)]);
  std::sort(kept.begin(), kept.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return kept;
}

namespace {

class EnsembleDetector final : public FaceDetector {
 public:
  EnsembleDetector(std::vector<std::unique_ptr<FaceDetector>> detectors, const DetectorOptions& options)
      : detectors_(std::move(detectors)), options_(options) {}

  std::vector<Detection> detect(const cv::Mat& image) override {
    std::vector<Detection> all;
    for (const auto& detector : detectors_) {
      auto found = detector->detect(image);
      all.insert(all.end(), found.begin(), found.end());
    }
    return finish_detections(std::move(all), options_);
  }

  std::string_view name() const override { return "ensemble"; }

 private:
  std::vector<std::unique_ptr<FaceDetector>> detectors_;
  DetectorOptions options_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_ensemble_detector(std::vector<std::unique_ptr<FaceDetector>> detectors,
                                                     const DetectorOptions& options) {
  return std::make_unique<EnsembleDetector>(std::move(detectors), options);
}

}  // namespace wf::face
