#include "swap/repair_ladder.h"

#include "swap/swap_engines.h"

namespace wf::swap {

void RepairLadder::resized_mask(double by) {
  const double grow = swapped_.mask_grow + by;
  add(by > 0 ? "grown mask" : "shrunk mask", {{"mask_grow", grow}}, [&](SwapOptions& o) { o.mask_grow = grow; });
}

std::vector<RepairStep> repair_ladder(const SwapOptions& swapped) {
  RepairLadder ladder(swapped);
  engine_spec(swapped.engine).repairs(ladder);
  return std::move(ladder).steps();
}

}  // namespace wf::swap
