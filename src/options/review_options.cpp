#include "options/review_options.h"

namespace wf::options {
using core::OptionKind;

const core::OptionSchema& review_option_schema() {
  static const core::OptionSchema schema{
      {.name = "min_confidence",
       .kind = OptionKind::number,
       .default_value = kMinConfidence,
       .help = "flag a face the detector is less sure of (it reports faces from 0.5 up)",
       .min = 0.5,
       .max = 1,
       .label = "Review: least face confidence"},
      {.name = "min_similarity",
       .kind = OptionKind::number,
       .default_value = kMinSimilarity,
       .help = "flag a face less like the source than this (cosine similarity of the embeddings)",
       .min = -1,
       .max = 1,
       .label = "Review: least identity similarity"},
      {.name = "max_jump",
       .kind = OptionKind::number,
       .default_value = kMaxJump,
       .help = "flag a face that jumps more than this many face widths against its neighbours",
       .min = 0,
       .max = 100,
       .label = "Review: largest jump (face widths)"},
      {.name = "attempts",
       .kind = OptionKind::integer,
       .default_value = kRepairAttempts,
       .help = "repair steps tried per flagged frame, at most",
       .min = 0,
       .max = 16,
       .label = "Repair attempts per flagged frame"},
      {.name = "frames",
       .kind = OptionKind::numbers,
       .default_value = nlohmann::json::array(),
       .help = "also repair these frames, even when they pass",
       .min = 0,
       .max = 1e15,
       .advanced = true,
       .label = "Review: frames to repair"},
  };
  return schema;
}

}  // namespace wf::options
