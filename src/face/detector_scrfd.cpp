// SCRFD face detectors from InsightFace (det_10g.onnx, scrfd_*.onnx) through OpenCV DNN.
// Outputs per stride 8/16/32: scores (N,1), box distances (N,4) and keypoint offsets (N,10), both in
// units of the stride, for 2 anchors per cell centred on (x*stride, y*stride). The outputs are told apart
// by shape, since OpenCV does not keep the ONNX output order.

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/detector.h"
#include "face/onnx_net.h"

namespace wf::face {
namespace {

constexpr int kInput = 640;
constexpr int kAnchorsPerCell = 2;
constexpr std::array<int, 3> kStrides{8, 16, 32};

struct StrideOutputs {
  cv::Mat scores, boxes, keypoints;
};

class ScrfdDetector final : public FaceDetector {
 public:
  ScrfdDetector(const std::filesystem::path& model, const DetectorOptions& options)
      : path_(model),
        options_(options),
        net_(load_onnx_net(model, "SCRFD face detector",
                           "put det_10g.onnx (InsightFace buffalo_l) there, or use the packaged detectors")) {}

  std::vector<Detection> detect(const cv::Mat& image) override {
    if (image.empty()) return {};
    if (image.type() != CV_8UC3) throw Error(ErrorCode::invalid_input, "face detection needs an 8-bit colour image");
    // Letterbox into the top-left of a 640x640 canvas, as InsightFace does.
    const float scale = std::min(float(kInput) / image.cols, float(kInput) / image.rows);
    cv::Mat canvas(kInput, kInput, CV_8UC3, cv::Scalar::all(0));
    cv::Mat resized;
    cv::resize(image, resized, {std::max(1, cvRound(image.cols * scale)), std::max(1, cvRound(image.rows * scale))});
    resized.copyTo(canvas(cv::Rect(0, 0, resized.cols, resized.rows)));
    const cv::Mat blob = cv::dnn::blobFromImage(canvas, 1.0 / 128, {kInput, kInput}, cv::Scalar::all(127.5), true);

    std::vector<cv::Mat> outputs;
    try {
      net_.setInput(blob);
      net_.forward(outputs, net_.getUnconnectedOutLayersNames());
    } catch (const cv::Exception& e) {
      throw Error(ErrorCode::invalid_input, std::string("the SCRFD detector failed: ") + e.err, path_,
                  "use an SCRFD export with 640x640 input (det_10g.onnx)");
    }
    std::vector<Detection> detections;
    for (std::size_t s = 0; s < kStrides.size(); ++s) {
      const StrideOutputs out = pick(outputs, kStrides[s]);
      decode(out, kStrides[s], scale, detections);
    }
    return finish_detections(std::move(detections), options_);
  }

  std::string_view name() const override { return "scrfd"; }

 private:
  // The three outputs of one stride: rows = cells x anchors; columns 1 (score), 4 (box) or 10 (keypoints).
  StrideOutputs pick(const std::vector<cv::Mat>& outputs, int stride) const {
    const int cells = (kInput / stride) * (kInput / stride) * kAnchorsPerCell;
    StrideOutputs found;
    for (const cv::Mat& output : outputs) {
      const cv::Mat rows = output.reshape(1, static_cast<int>(output.total() / output.size[output.dims - 1]));
      if (rows.rows != cells) continue;
      const int columns = rows.cols;
      if (columns == 1) found.scores = rows;
      if (columns == 4) found.boxes = rows;
      if (columns == 10) found.keypoints = rows;
    }
    if (found.scores.empty() || found.boxes.empty()) {
      throw Error(ErrorCode::unsupported, "the model's outputs are not SCRFD's (no scores and boxes for stride " +
                                              std::to_string(stride) + ")",
                  path_, "use InsightFace's det_10g.onnx or another SCRFD export");
    }
    return found;
  }

  void decode(const StrideOutputs& out, int stride, float scale, std::vector<Detection>& detections) const {
    const int width = kInput / stride;
    for (int row = 0; row < out.scores.rows; ++row) {
      const float score = out.scores.at<float>(row, 0);
      if (score < options_.min_score) continue;
      const int cell = row / kAnchorsPerCell;
      const cv::Point2f centre(float(cell % width * stride), float(cell / width * stride));
      const float* d = out.boxes.ptr<float>(row);
      const cv::Point2f top_left(centre.x - d[0] * stride, centre.y - d[1] * stride);
      const cv::Point2f bottom_right(centre.x + d[2] * stride, centre.y + d[3] * stride);
      Detection detection{cv::Rect2f(top_left / scale, bottom_right / scale), score, std::nullopt};
      if (!out.keypoints.empty()) {
        const float* k = out.keypoints.ptr<float>(row);
        Keypoints5 points;
        for (std::size_t i = 0; i < 5; ++i) {
          points[i] = cv::Point2f(centre.x + k[2 * i] * stride, centre.y + k[2 * i + 1] * stride) / scale;
        }
        detection.keypoints = points;
      }
      detections.push_back(detection);
    }
  }

  std::filesystem::path path_;
  DetectorOptions options_;
  cv::dnn::Net net_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_scrfd_detector(const std::filesystem::path& model_onnx,
                                                  const DetectorOptions& options) {
  return std::make_unique<ScrfdDetector>(model_onnx, options);
}

}  // namespace wf::face
