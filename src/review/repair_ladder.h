#pragma once
// What review tries on a flagged frame, in order, for the engine the swap used. Each step is the swap's own
// settings with one adjustment; the ladder stops at the first result that passes and scores better than the frame,
// and the best-scoring result replaces the frame only when it beats it.
//   offline:    as swapped (the engine is deterministic: this undoes damage done after the swap), the other
//               colour mode, a grown mask, the 68-point warp instead of the mesh, no colour matching, no Poisson
//               blending
//   generative: a new seed, more steps, a stronger identity, lower strength, a grown mask
//   onnx:       as swapped, a grown mask, a shrunk mask

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "swap/swap_options.h"

namespace wf::review {

struct RepairStep {
  std::string name;         // "grown mask"
  nlohmann::json settings;  // what changed: {"mask_grow": 0.03}
  swap::SwapOptions options;
};

std::vector<RepairStep> repair_ladder(const swap::SwapOptions& swapped);

}  // namespace wf::review
