#include "face/tracker.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "face/detector.h"
#include "face/embedder.h"

namespace wf::face {
namespace {

void blend_into(std::vector<float>& mean, const std::vector<float>& sample) {
  if (mean.empty()) {
    mean = sample;
    return;
  }
  for (std::size_t i = 0; i < mean.size(); ++i) mean[i] = 0.9f * mean[i] + 0.1f * sample[i];
  const float norm = std::sqrt(std::inner_product(mean.begin(), mean.end(), mean.begin(), 0.f));
  if (norm > 0) {
    for (auto& value : mean) value /= norm;
  }
}

}  // namespace

std::vector<int> FaceTracker::update(const std::vector<Detection>& detections,
                                     const std::vector<std::vector<float>>& embeddings) {
  if (!embeddings.empty() && embeddings.size() != detections.size()) {
    throw Error(ErrorCode::internal, "tracker: one embedding per detection, or none");
  }
  struct Pair {
    float score;
    std::size_t track, detection;
  };
  std::vector<Pair> pairs;
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    for (std::size_t d = 0; d < detections.size(); ++d) {
      const float iou = box_iou(tracks_[t].box, detections[d].box);
      float score = iou;
      bool linked = iou >= settings_.min_iou;
      if (!embeddings.empty() && !tracks_[t].embedding.empty()) {
        const float similarity = cosine_similarity(tracks_[t].embedding, embeddings[d]);
        const bool in_place = iou >= settings_.strong_iou;
        if (similarity < (in_place ? settings_.min_similarity_in_place : settings_.min_similarity)) continue;
        linked = true;
        score += similarity;
      }
      if (linked) pairs.push_back({score, t, d});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.score > b.score; });

  std::vector<int> ids(detections.size(), 0);
  std::vector<bool> track_taken(tracks_.size(), false);
  for (const Pair& pair : pairs) {
    if (track_taken[pair.track] || ids[pair.detection] != 0) continue;
    track_taken[pair.track] = true;
    Track& track = tracks_[pair.track];
    ids[pair.detection] = track.id;
    track.box = detections[pair.detection].box;
    track.missed = 0;
    if (!embeddings.empty()) blend_into(track.embedding, embeddings[pair.detection]);
  }
  for (std::size_t t = 0; t < track_taken.size(); ++t) {
    if (!track_taken[t]) ++tracks_[t].missed;
  }
  std::erase_if(tracks_, [&](const Track& track) { return track.missed > settings_.max_missed; });
  for (std::size_t d = 0; d < detections.size(); ++d) {
    if (ids[d] != 0) continue;
    ids[d] = next_id_++;
    tracks_.push_back({ids[d], detections[d].box, embeddings.empty() ? std::vector<float>{} : embeddings[d], 0});
  }
  return ids;
}

}  // namespace wf::face
