#pragma once
// How one output frame's face is judged: found at the tracked face's place, with what detector confidence, how
// like the source it is, and how far it jumped against its neighbours; the thresholds that turn those into flags
// (the PRD's: confidence < 0.7 or identity similarity < 0.6) and the margin that ranks repairs.

#include <opencv2/core/types.hpp>
#include <string_view>
#include <vector>

#include "options/review_options.h"

namespace wf::review {

struct FrameScore {
  bool found = false;                  // a face overlaps the tracked face's box
  double confidence = 0;               // the detector's calibrated score; 0 when no face was found
  double similarity = -1;              // cosine to the source's mean embedding; -1 when no face was found
  double jump = 0;                     // face widths the face moved against its neighbours (temporal_jump.h)
  std::vector<cv::Point2f> landmarks;  // the found face's 68, frame pixels
};

struct ReviewThresholds {
  double min_confidence = options::kMinConfidence;
  double min_similarity = options::kMinSimilarity;
  double max_jump = options::kMaxJump;  // face widths
};

enum class FlagReason { no_face, low_confidence, low_similarity, jump, requested };
std::string_view to_string(FlagReason reason);

// Empty when the frame passes.
std::vector<FlagReason> flag_reasons(const FrameScore& score, const ReviewThresholds& thresholds);

// The smallest of the score's margins over its thresholds (confidence, similarity, jump): of two results of one
// frame the one with the larger margin is the better; a frame without its face (or with a non-finite score) is
// -infinity, below any frame with one. A found face passes exactly when its margin is >= 0.
double margin(const FrameScore& score, const ReviewThresholds& thresholds);

}  // namespace wf::review
