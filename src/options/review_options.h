#pragma once
// The options of review's scan and repair: the pipeline's `review` settings and `watserface review`'s flags.

#include "core/option_schema.h"

namespace wf::options {

inline constexpr double kMinConfidence = 0.7;  // a detector score (it reports faces from 0.5 up)
inline constexpr double kMinSimilarity = 0.6;  // cosine similarity to the source's mean embedding
inline constexpr double kMaxJump = 0.1;        // face widths
inline constexpr int kRepairAttempts = 4;

const core::OptionSchema& review_option_schema();

}  // namespace wf::options
