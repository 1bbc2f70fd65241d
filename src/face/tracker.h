#pragma once
// Keeps face identities stable across video frames: each new detection joins the track it overlaps
// most (IoU) and, when embeddings are given, only a track of the same person (cosine similarity).

#include <vector>

#include "face/types.h"

namespace wf::face {

struct TrackerSettings {
  float min_iou = 0.3f;         // overlap that alone links a detection to a track
  float min_similarity = 0.5f;  // with embeddings: below this, not the same person...
  float strong_iou = 0.6f;      // ...unless the face barely moved (this overlap with the track)...
  float min_similarity_in_place = 0.2f;  // ...and is this alike: a blink, a grimace or blur changes an embedding
  int max_missed = 15;          // frames a track survives without a detection
};

class FaceTracker {
 public:
  explicit FaceTracker(TrackerSettings settings = {}) : settings_(settings) {}

  // Ids (1, 2, ...) for this frame's detections, in their order. `embeddings` is empty or one per detection.
  std::vector<int> update(const std::vector<Detection>& detections, const std::vector<std::vector<float>>& embeddings = {});
  // A new shot: no track continues into it (ids keep counting up).
  void reset() { tracks_.clear(); }

 private:
  struct Track {
    int id;
    cv::Rect2f box;
    std::vector<float> embedding;  // running mean, L2-normalised
    int missed;
  };
  TrackerSettings settings_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
};

}  // namespace wf::face
