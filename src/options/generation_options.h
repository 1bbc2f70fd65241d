#pragma once
// What a Stable Diffusion run is told — the sampler and its settings, shared by `watserface generate` and the
// generative swap engine (options/swap_options.h), which takes them with its own defaults — and generate's own
// (prompt, size, ControlNet scale, clip skip, tiled decoding).

#include <string_view>

#include "core/option_schema.h"

namespace wf::options {

// negative_prompt, steps, strength, guidance, seed, sampler, lora_scale, with generate's defaults.
const core::OptionSchema& sampling_option_schema();
// One of them, to be declared again with another default (and its reason) where another use needs one.
core::OptionSpec sampling_option(std::string_view name);

// watserface generate: the prompt, the sampling options, width, height, controlnet_scale, guess_mode, clip_skip and
// tiled_vae.
const core::OptionSchema& generate_option_schema();

}  // namespace wf::options
