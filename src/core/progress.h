#pragma once
// Rate and time left of a long loop (extraction, training, swapping), as the step events every
// progress bar and chart reads: step, steps, items_per_s, eta_s.

#include <chrono>
#include <cstdint>
#include <optional>

#include "core/events.h"

namespace wf::core {

class ProgressMeter {
 public:
  // `total`: the steps expected, when known; `phase`: the pipeline phase the events belong to.
  ProgressMeter(PhaseRef phase, std::optional<std::int64_t> total);

  // A step event for `done` steps so far; the rate is the mean since the meter started.
  Event step(std::int64_t done, std::string message = {}) const;

 private:
  PhaseRef phase_;
  std::optional<std::int64_t> total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace wf::core
