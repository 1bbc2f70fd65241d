#pragma once
// What review tries on a flagged frame, in order, for the engine the swap used: each step is the swap's own
// settings with one adjustment. Review stops at the first result that passes and scores better than the frame,
// and the best-scoring result replaces the frame only when it beats it. Each engine lists its own steps next to
// its code (swap_engines.h); the ladder is built from the swap's options.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "swap/swap_options.h"

namespace wf::swap {

struct RepairStep {
  std::string name;         // "grown mask"
  nlohmann::json settings;  // what changed: {"mask_grow": 0.03}
  SwapOptions options;
};

// How far a repair step grows or shrinks the mask: a share of the crop side.
inline constexpr double kRepairMaskStep = 0.03;

class RepairLadder {
 public:
  explicit RepairLadder(const SwapOptions& swapped) : swapped_(swapped) {}

  const SwapOptions& swapped() const { return swapped_; }
  // A step: the swap's options with `change` applied, shown as `name` and recorded as `settings`.
  template <typename Change>
  void add(std::string name, nlohmann::json settings, Change change) {
    SwapOptions options = swapped_;
    change(options);
    steps_.push_back({std::move(name), std::move(settings), std::move(options)});
  }
  // The swap's mask grown (by > 0) or shrunk (by < 0) by this share of the crop side.
  void resized_mask(double by);
  std::vector<RepairStep> steps() && { return std::move(steps_); }

 private:
  const SwapOptions& swapped_;
  std::vector<RepairStep> steps_;
};

// The steps for the engine `swapped` names.
std::vector<RepairStep> repair_ladder(const SwapOptions& swapped);

}  // namespace wf::swap
