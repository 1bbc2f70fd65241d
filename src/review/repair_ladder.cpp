#include "review/repair_ladder.h"

#include <algorithm>
#include <cmath>

namespace wf::review {
namespace {

constexpr double kMaskGrowth = 0.03;  // of the crop side

class Ladder {
 public:
  explicit Ladder(const swap::SwapOptions& base) : base_(base) {}

  template <typename Change>
  void add(std::string name, nlohmann::json settings, Change change) {
    swap::SwapOptions options = base_;
    change(options);
    steps_.push_back({std::move(name), std::move(settings), std::move(options)});
  }
  void grown_mask(double by) {
    const double grow = base_.mask_grow + by;
    add(by > 0 ? "grown mask" : "shrunk mask", {{"mask_grow", grow}}, [&](auto& o) { o.mask_grow = grow; });
  }
  std::vector<RepairStep> steps() && { return std::move(steps_); }

 private:
  const swap::SwapOptions& base_;
  std::vector<RepairStep> steps_;
};

void offline(Ladder& ladder, const swap::SwapOptions& base) {
  using swap::ColourMode;
  ladder.add("as swapped", nlohmann::json::object(), [](auto&) {});
  const ColourMode other = base.warp.colour == ColourMode::lab_stats ? ColourMode::histogram : ColourMode::lab_stats;
  ladder.add("other colour mode", {{"colour", swap::to_string(other)}}, [&](auto& o) { o.warp.colour = other; });
  ladder.grown_mask(kMaskGrowth);
  if (base.warp.landmarks == 478) {
    ladder.add("68-point warp", {{"landmarks", 68}}, [](auto& o) { o.warp.landmarks = 68; });
  }
  if (base.warp.colour != ColourMode::none) {
    ladder.add("no colour matching", {{"colour", "none"}}, [](auto& o) { o.warp.colour = ColourMode::none; });
  }
  if (base.warp.seamless) {
    ladder.add("no Poisson blending", {{"seamless", false}}, [](auto& o) { o.warp.seamless = false; });
  }
}

void generative(Ladder& ladder, const swap::SwapOptions& base) {
  const swap::GenerativeOptions& g = base.generative;
  const std::uint64_t seed = g.seed + 1;
  ladder.add("new seed", {{"seed", seed}}, [&](auto& o) { o.generative.seed = seed; });
  const std::int64_t steps = std::max<std::int64_t>(g.steps + 1, static_cast<std::int64_t>(std::lround(g.steps * 1.5)));
  ladder.add("more steps", {{"steps", steps}}, [&](auto& o) { o.generative.steps = steps; });
  const double identity = std::min(1.5, g.identity_scale + 0.2);
  ladder.add("stronger identity", {{"identity_scale", identity}},
             [&](auto& o) { o.generative.identity_scale = identity; });
  const double strength = std::max(0.3, g.strength - 0.15);
  ladder.add("lower strength", {{"strength", strength}}, [&](auto& o) { o.generative.strength = strength; });
  ladder.grown_mask(kMaskGrowth);
}

void onnx(Ladder& ladder) {
  ladder.add("as swapped", nlohmann::json::object(), [](auto&) {});
  ladder.grown_mask(kMaskGrowth);
  ladder.grown_mask(-kMaskGrowth);
}

}  // namespace

std::vector<RepairStep> repair_ladder(const swap::SwapOptions& swapped) {
  Ladder ladder(swapped);
  if (swapped.engine == "generative") {
    generative(ladder, swapped);
  } else if (swapped.engine == "onnx") {
    onnx(ladder);
  } else {
    offline(ladder, swapped);
  }
  return std::move(ladder).steps();
}

}  // namespace wf::review
