#pragma once
// Options several trainers take, spelled once: the base model, its tokenizer, a trainer's dataset and output,
// gradient accumulation, min-SNR weighting, activation checkpointing, checkpoints and the seed.

#include <nlohmann/json.hpp>
#include <string>

#include "core/option_schema.h"

namespace wf::options {

core::OptionSpec base_model_option();
core::OptionSpec tokenizer_option();
// A path a command needs and the pipeline fills in from the project.
core::OptionSpec command_path_option(std::string name, std::string help);
core::OptionSpec accumulation_option(int default_value, std::string label);
core::OptionSpec snr_gamma_option(std::string label);
core::OptionSpec keep_activations_option(std::string label);
core::OptionSpec checkpoint_every_option(int default_value, std::string label, bool advanced = false);
core::OptionSpec seed_option(std::string help, std::string label, bool advanced = false);
// The size a diffusion trainer learns at (SD 1.5's latents are an eighth of it), and its check after resolving:
// wf::Error(invalid_input) for one that is not a multiple of 8, named with `prefix` ("lora.").
core::OptionSpec diffusion_resolution_option(std::string label);
void check_diffusion_resolution(const nlohmann::json& resolved, const std::string& prefix);

}  // namespace wf::options
