#pragma once
// What a swap is told, one schema per engine plus what every engine shares: the engine (one of the engine table's,
// swap/swap_engines.h, checked when the job is settled), how the face is pasted back and whether the track is
// smoothed. `watserface swap`'s flags and the pipeline's `swap` settings are these; swap::swap_options_of types
// them once.

#include "core/option_schema.h"

namespace wf::options {

// engine, feather, mask_grow, smoothing.
const core::OptionSchema& swap_common_option_schema();
// The offline engine: landmarks, colour, seamless, keep_expression.
const core::OptionSchema& warp_option_schema();
// The generative engine: the prompt, the sampling options (options/generation_options.h) with the swap's defaults,
// resolution, identity_scale, control_scale.
const core::OptionSchema& generative_option_schema();
// The ONNX engine: onnx_model (a command's; the pipeline takes the models folder's).
const core::OptionSchema& onnx_option_schema();

// All of the above: the pipeline's `swap` section.
const core::OptionSchema& swap_option_schema();

}  // namespace wf::options
