#pragma once
// How long the rest of a pass of steps will take, at the pace its recent steps went.

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace wf::jobs {

class StepPace {
 public:
  // Step `step` of `steps` was reached at `time` (seconds). Returns the seconds the steps left will take, once the
  // pace is known (two steps after the first).
  std::optional<double> observe(std::int64_t step, std::int64_t steps, double time);
  void reset();

 private:
  std::deque<std::pair<std::int64_t, double>> marks_;  // (step, time), oldest first
  bool warm_ = false;
};

}  // namespace wf::jobs
