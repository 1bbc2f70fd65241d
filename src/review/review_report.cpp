#include "review/review_report.h"

#include <cmath>

namespace wf::review {
namespace fs = std::filesystem;
namespace {

nlohmann::json score_json(const FrameScore& score) {
  return {{"face_found", score.found},
          {"confidence", score.confidence},
          {"similarity",
           score.found && std::isfinite(score.similarity) ? nlohmann::json(score.similarity) : nlohmann::json()},
          {"jump", std::isfinite(score.jump) ? score.jump : 0.0}};
}

nlohmann::json frame_json(const FrameReview& review) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const FlagReason reason : review.reasons) reasons.push_back(to_string(reason));
  nlohmann::json attempts = nlohmann::json::array();
  for (const RepairAttempt& attempt : review.attempts) {
    attempts.push_back({{"step", attempt.step},
                        {"settings", attempt.settings},
                        {"score", score_json(attempt.score)},
                        {"passes", attempt.passes}});
  }
  nlohmann::json out = {
      {"frame", review.frame},
      {"face", review.face},
      {"status", to_string(review.status)},
      {"reasons", reasons},
      {"before", score_json(review.before)},
      {"after", review.chosen ? score_json(review.attempts[*review.chosen].score) : nlohmann::json()},
      {"attempts", attempts},
      {"chosen", review.chosen ? nlohmann::json(review.attempts[*review.chosen].step) : nlohmann::json()}};
  if (!review.thumbnail_before.empty()) {
    out["thumbnails"] = {{"before", review.thumbnail_before.generic_string()},
                         {"after", review.thumbnail_after.generic_string()}};
  }
  return out;
}

}  // namespace

nlohmann::json review_report_json(const ReviewOptions& options, const ReviewSummary& summary,
                                  const swap::SwapReport& swapped) {
  nlohmann::json frames = nlohmann::json::array();
  for (const FrameReview& review : summary.frames) frames.push_back(frame_json(review));
  return {{"version", kReviewReportVersion},
          {"input", fs::absolute(options.input).string()},
          {"output", options.output.empty() ? nlohmann::json() : nlohmann::json(fs::absolute(options.output).string())},
          {"engine", swap::to_string(swapped.options.engine)},
          {"embedder", summary.embedder},
          {"thresholds",
           {{"min_confidence", options.thresholds.min_confidence},
            {"min_similarity", options.thresholds.min_similarity},
            {"max_jump", options.thresholds.max_jump}}},
          {"max_attempts", std::max(0, options.attempts)},
          {"video_frames", summary.video_frames},
          {"scanned", summary.frames.size()},
          {"flagged", summary.flagged()},
          {"repaired", summary.count(FrameStatus::repaired)},
          {"improved", summary.count(FrameStatus::improved)},
          {"unrepaired", summary.count(FrameStatus::unrepaired)},
          {"reencoded", summary.reencoded},
          {"input_lossless", summary.input_lossless},
          {"seconds", summary.seconds},
          {"summary", summary.line()},
          {"frames", frames}};
}

}  // namespace wf::review
