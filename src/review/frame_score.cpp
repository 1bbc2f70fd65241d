#include "review/frame_score.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/enum_names.h"

namespace wf::review {
namespace {

constexpr std::array<core::EnumName<FlagReason>, 5> kReasons{{{FlagReason::no_face, "no_face"},
                                                              {FlagReason::low_confidence, "low_confidence"},
                                                              {FlagReason::low_similarity, "low_similarity"},
                                                              {FlagReason::jump, "jump"},
                                                              {FlagReason::requested, "requested"}}};

}  // namespace

std::string_view to_string(FlagReason reason) {
  return core::enum_to_string(kReasons, reason);
}

std::vector<FlagReason> flag_reasons(const FrameScore& score, const ReviewThresholds& thresholds) {
  if (!score.found) return {FlagReason::no_face};
  // Written so that a NaN score fails its check.
  std::vector<FlagReason> reasons;
  if (!(score.confidence >= thresholds.min_confidence)) reasons.push_back(FlagReason::low_confidence);
  if (!(score.similarity >= thresholds.min_similarity)) reasons.push_back(FlagReason::low_similarity);
  if (!(score.jump <= thresholds.max_jump)) reasons.push_back(FlagReason::jump);
  return reasons;
}

double margin(const FrameScore& score, const ReviewThresholds& thresholds) {
  const double m = std::min({score.confidence - thresholds.min_confidence, score.similarity - thresholds.min_similarity,
                             thresholds.max_jump - score.jump});
  // A frame without its face is worse than any frame with one.
  return score.found && std::isfinite(m) ? m : -std::numeric_limits<double>::infinity();
}

}  // namespace wf::review
