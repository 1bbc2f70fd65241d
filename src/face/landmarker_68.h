#pragma once
// 68 facial landmarks (iBUG 300-W layout) with dlib's shape predictor, and the five keypoints derived from them.

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>

#include "face/types.h"

namespace wf::face {

class Landmarker68 {
 public:
  // Loads shape_predictor_68_face_landmarks.dat; throws missing_model or corrupt_file naming it.
  explicit Landmarker68(const std::filesystem::path& model);
  ~Landmarker68();
  Landmarker68(Landmarker68&&) noexcept;
  Landmarker68& operator=(Landmarker68&&) noexcept;

  Landmarks68 landmarks(const cv::Mat& image, const cv::Rect2f& box) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Eye centres (mean of each eye's six points), nose tip (30), mouth corners (48, 54).
Keypoints5 keypoints_from_68(const Landmarks68& landmarks);
// The same with the eyes moved to the pupils: the darkest part of each open eye's lid contour.
Keypoints5 keypoints_from_68(const Landmarks68& landmarks, const cv::Mat& image);

}  // namespace wf::face
