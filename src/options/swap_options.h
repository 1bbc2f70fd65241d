#pragma once
// The pipeline's `swap` settings: the engine (one of the engine table's, swap/swap_engines.h, checked when the job
// is settled) and the offline engine's warp and colour matching.

#include "core/option_schema.h"

namespace wf::options {

const core::OptionSchema& swap_option_schema();

}  // namespace wf::options
