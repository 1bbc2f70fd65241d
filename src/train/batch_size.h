#pragma once
// A batch size option as given ("auto" or a number) turned into the micro-batch a training run starts with.

#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/device.h"
#include "train/train_loop.h"

namespace wf::train {

// A number as it is; "auto": from the RAM available, `per_sample_gib` a sample, at most `most` (on CUDA the loop
// then probes down from there: `settings.auto_batch`).
void set_batch(TrainSettings& settings, const nlohmann::json& value, double per_sample_gib, std::int64_t most,
               const core::ComputeChoice& compute);

}  // namespace wf::train
