#include "jobs/step_pace.h"

namespace wf::jobs {
namespace {

// The pace is the mean over this many recent steps: enough to spread a checkpoint save over the steps between two
// saves, few enough to follow the machine when another program starts or stops.
constexpr std::size_t kWindow = 24;

}  // namespace

std::optional<double> StepPace::observe(std::int64_t step, std::int64_t steps, double time) {
  if (marks_.empty() || step > marks_.back().first) {
    marks_.emplace_back(step, time);
    // The first step's interval carries the warm-up (allocations, caches, the first batch read): left out once a
    // later one is there.
    if (!warm_ && marks_.size() == 3) {
      marks_.pop_front();
      warm_ = true;
    }
    while (marks_.size() > kWindow + 1) marks_.pop_front();
  }
  if (!warm_) return std::nullopt;
  const auto& [first_step, first_time] = marks_.front();
  const auto& [last_step, last_time] = marks_.back();
  const double per_step = (last_time - first_time) / static_cast<double>(last_step - first_step);
  return static_cast<double>(std::max<std::int64_t>(0, steps - step)) * per_step;
}

void StepPace::reset() {
  marks_.clear();
  warm_ = false;
}

}  // namespace wf::jobs
