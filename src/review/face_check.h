#pragma once
// The face of an output frame found again and measured, as extraction would see it: detected around the
// tracked face's place, its landmarks and embedding taken by the same models, its identity compared with the
// source's mean embedding.

#include <opencv2/core/mat.hpp>
#include <vector>

#include "dataset/face_record.h"
#include "models/face_analysers.h"
#include "review/frame_score.h"

namespace wf::review {

// The tracked face's 68 landmarks in the frame's pixels (the record keeps them in its crop's).
std::vector<cv::Point2f> track_landmarks(const dataset::FaceRecord& tracked);

class FaceChecker {
 public:
  // `identity`: the source's L2-normalised mean embedding, from the analysers' embedder.
  FaceChecker(models::FaceAnalysers& analysers, std::vector<float> identity);

  // The face of `frame` that overlaps `tracked`'s box most (IoU >= 0.3), searched in a window around it; `jump`
  // is left 0 (it needs the neighbours: temporal_jump.h).
  FrameScore check(const cv::Mat& frame, const dataset::FaceRecord& tracked);

 private:
  models::FaceAnalysers& analysers_;
  std::vector<float> identity_;
};

}  // namespace wf::review
