#pragma once
// Step 5 of the wizard: every swapped frame of a video watserface swap wrote is checked (face found again at
// its place with calibrated confidence, identity similarity to the source, no temporal jump); flagged frames are
// swapped again from the target frame along the repair ladder (swap/repair_ladder.h) until one passes or the attempts
// run out, and a frame is replaced only by a result that scores better than it did. The reviewed video is the
// one final encode (untouched frames are the decoded input; swap --lossless makes that input exact), with its own
// swap report beside it so it can be reviewed again, and a review report (docs/formats/review-report.md) with
// before/after thumbnails for the UI.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/events.h"
#include "models/face_analysers.h"
#include "review/frame_score.h"

namespace wf::review {

struct ReviewOptions {
  std::filesystem::path input;   // a video watserface swap (or review) wrote, its .swap.json beside it
  std::filesystem::path output;  // the reviewed video (.mp4, .mov, .mkv); empty: scan only, nothing written
  ReviewThresholds thresholds;
  int attempts = options::kRepairAttempts;  // repair steps tried per flagged frame, at most
  std::vector<std::int64_t> frames;  // also repair these (the user's picks), even when they pass
  bool lossless = false;             // the output as FFV1 in .mkv
  int thumbnail_size = 160;          // the before/after thumbnails' side in pixels; 0: none
};

struct RepairAttempt {
  std::string step;         // the ladder step's name
  nlohmann::json settings;  // what it changed
  FrameScore score;
  bool passes = false;
};

// flagged: a scan without repair; repaired: a step passes; improved: better, still flagged; unrepaired: kept.
enum class FrameStatus { passed, flagged, repaired, improved, unrepaired };
std::string_view to_string(FrameStatus status);

struct FrameReview {
  std::int64_t frame = 0;
  std::string face{};  // the target face's id
  FrameScore before{};
  std::vector<FlagReason> reasons{};  // empty: the frame passed
  std::vector<RepairAttempt> attempts{};
  std::optional<std::size_t> chosen{};  // the attempt written into the output
  FrameStatus status = FrameStatus::passed;
  std::filesystem::path thumbnail_before{}, thumbnail_after{};  // relative to the report's folder
};

struct ReviewSummary {
  std::vector<FrameReview> frames;  // every swapped frame, in order
  std::int64_t video_frames = 0;
  std::filesystem::path output, report;
  std::string embedder;
  bool reencoded = false;       // false: nothing changed and the input was copied as it is
  bool input_lossless = false;  // true: the output's encode is the only lossy one
  bool output_lossless = false;
  double seconds = 0;

  std::int64_t count(FrameStatus status) const;
  std::int64_t flagged() const;
  std::string line() const;  // the CLI's summary
};

// Throws wf::Error, each before the scan where it can be known: not_found for a missing video, one without a swap
// report, a source or target dataset or target video that is gone; invalid_input for a source without identity
// embeddings (or from another embedder than `analysers`'), an output that would overwrite the input, its report
// or the target video, a requested frame that was not swapped, settings out of range; unsupported for a swapped
// photo; corrupt_file when the video, its report and the target dataset disagree; cancelled when `cancel` is set
// (no video, report or thumbnails are written).
ReviewSummary review_video(const ReviewOptions& options, models::FaceAnalysers& analysers,
                           core::EventSink* events = nullptr, const std::atomic<bool>* cancel = nullptr);

}  // namespace wf::review
