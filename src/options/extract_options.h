#pragma once
// The options of face extraction shared by `watserface extract` and the pipeline's `extract` settings.

#include "core/option_schema.h"

namespace wf::options {

inline constexpr int kCropSize = 512;

const core::OptionSchema& extract_option_schema();

}  // namespace wf::options
