#include "train/lr_schedule.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/enum_names.h"

namespace wf::train {
namespace {

constexpr std::array<core::EnumName<LrSchedule>, 2> kSchedules{
    {{LrSchedule::constant, "constant"}, {LrSchedule::cosine, "cosine"}}};

}  // namespace

std::string_view to_string(LrSchedule schedule) { return core::enum_to_string(kSchedules, schedule); }
LrSchedule parse_lr_schedule(std::string_view text) { return core::parse_enum(kSchedules, text, "lr schedule"); }

double learning_rate(const LrSettings& s, std::int64_t step) {
  if (step < s.warmup_steps) return s.lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  if (s.schedule == LrSchedule::constant) return s.lr;
  const double span = static_cast<double>(std::max<std::int64_t>(s.total_steps - s.warmup_steps, 1));
  const double progress = std::clamp(static_cast<double>(step - s.warmup_steps) / span, 0.0, 1.0);
  return s.min_lr + 0.5 * (s.lr - s.min_lr) * (1.0 + std::cos(M_PI * progress));
}

}  // namespace wf::train
