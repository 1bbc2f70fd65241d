#pragma once
// Learning rate as a pure function of the optimizer step, so a resumed run continues the same curve.

#include <cstdint>
#include <string_view>

namespace wf::train {

enum class LrSchedule { constant, cosine };
std::string_view to_string(LrSchedule schedule);
LrSchedule parse_lr_schedule(std::string_view text);

struct LrSettings {
  double lr = 1e-3;
  LrSchedule schedule = LrSchedule::cosine;
  std::int64_t warmup_steps = 0;  // linear from lr/warmup to lr
  std::int64_t total_steps = 1;   // cosine reaches min_lr here
  double min_lr = 0;
};

// The rate for optimizer step `step` (0-based).
double learning_rate(const LrSettings& settings, std::int64_t step);

}  // namespace wf::train
