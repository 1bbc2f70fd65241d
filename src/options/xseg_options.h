#pragma once
// The options of XSeg training: `watserface train xseg`'s flags, the pipeline's `xseg` settings and the browser's
// Advanced options, declared once (core/option_schema.h). The trainer (train/trainers/xseg) takes them resolved.

#include <nlohmann/json.hpp>

#include "core/option_schema.h"

namespace wf::options {

// The network's input sizes: multiples of 32 (the encoder halves five times) in this range.
inline constexpr int kXSegMinResolution = 32, kXSegMaxResolution = 1024;
inline constexpr int kXSegMaxEpochs = 10000;
inline constexpr int kXSegEpochs = 50;
inline constexpr int kXSegResolution = 256;

const core::OptionSchema& xseg_option_schema();

// `values` checked (names, types, ranges, a resolution that is a multiple of 32) and completed with the defaults
// of `use`. Throws wf::Error(invalid_input) naming the option.
nlohmann::json resolve_xseg_options(const nlohmann::json& values, core::OptionUse use = core::OptionUse::direct);

}  // namespace wf::options
