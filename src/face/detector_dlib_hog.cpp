// dlib's HOG + linear SVM frontal face detector.

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/detector.h"

namespace wf::face {
namespace {

// dlib scans 80x80 windows; smaller faces need the image enlarged first.
constexpr float kHogWindow = 80.f;

// dlib's SVM margin to 0..1: its own acceptance threshold (margin 0) maps to 0.5, a clear face (margin
// about 1) to 0.88. Review thresholds (0.7) then keep faces dlib is reasonably sure of.
float calibrate(double margin) { return static_cast<float>(1.0 / (1.0 + std::exp(-2.0 * margin))); }

class DlibHogDetector final : public FaceDetector {
 public:
  explicit DlibHogDetector(const DetectorOptions& options)
      : options_(options), detector_(dlib::get_frontal_face_detector()) {}

  std::vector<Detection> detect(const cv::Mat& image) override {
    if (image.empty()) return {};
    if (image.type() != CV_8UC3) {
      throw Error(ErrorCode::invalid_input, "face detection needs an 8-bit colour image", {},
                  "read images with media::read_image");
    }
    const double scale = options_.min_face < kHogWindow ? kHogWindow / options_.min_face : 1.0;
    cv::Mat scaled;
    if (scale > 1.0) {
      cv::resize(image, scaled, {}, scale, scale, cv::INTER_LINEAR);
    } else {
      scaled = image;
    }
    const dlib::cv_image<dlib::bgr_pixel> view(scaled);
    std::vector<dlib::rect_detection> found;
    // A negative adjustment lets weaker candidates through; the calibrated floor decides.
    detector_(view, found, -0.5);
    std::vector<Detection> detections;
    for (const auto& candidate : found) {
      const auto& r = candidate.rect;
      detections.push_back({cv::Rect2f(static_cast<float>(r.left() / scale), static_cast<float>(r.top() / scale),
                                       static_cast<float>(r.width() / scale), static_cast<float>(r.height() / scale)),
                            calibrate(candidate.detection_confidence),
                            std::nullopt});
    }
    return finish_detections(std::move(detections), options_);
  }

  std::string_view name() const override { return "dlib_hog"; }

 private:
  DetectorOptions options_;
  dlib::frontal_face_detector detector_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_dlib_hog_detector(const DetectorOptions& options) {
  return std::make_unique<DlibHogDetector>(options);
}

}  // namespace wf::face
