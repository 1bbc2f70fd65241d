#include "train/batch_size.h"

#include <algorithm>
#include <cmath>

#include "core/machine.h"

namespace wf::train {

void set_batch(TrainSettings& settings, const nlohmann::json& value, double per_sample_gib, std::int64_t most,
               const core::ComputeChoice& compute) {
  const bool automatic = value == "auto";
  settings.auto_batch = automatic && compute.device == core::DeviceKind::cuda;  // a CPU out of memory cannot be caught
  if (!automatic) {
    settings.batch_size = std::max<std::int64_t>(1, value.get<std::int64_t>());
    return;
  }
  const double available = static_cast<double>(core::read_machine_info().available_memory) / double(1ull << 30);
  settings.batch_size =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(available / per_sample_gib)), 1, most);
}

}  // namespace wf::train
