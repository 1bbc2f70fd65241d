#include "core/progress.h"

#include <algorithm>

namespace wf::core {

ProgressMeter::ProgressMeter(PhaseRef phase, std::optional<std::int64_t> total)
    : phase_(std::move(phase)), total_(total), start_(std::chrono::steady_clock::now()) {}

Event ProgressMeter::step(std::int64_t done, std::string message) const {
  Event event;
  event.phase = phase_;
  event.kind = EventKind::step;
  event.step = done;
  event.steps = total_;
  event.message = std::move(message);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (elapsed > 0 && done > 0) {
    event.items_per_s = static_cast<double>(done) / elapsed;
    if (total_) event.eta_s = static_cast<double>(std::max<std::int64_t>(*total_ - done, 0)) / *event.items_per_s;
  }
  return event;
}

}  // namespace wf::core
