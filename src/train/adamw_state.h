#pragma once
// AdamW's per-parameter state (step, first and second moments) as a state dict keyed by parameter name
// (`<name>.exp_avg`, `<name>.exp_avg_sq`, `<name>.step`), to checkpoint and restore it exactly.

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include "core/state_dict.h"

namespace wf::train {

core::StateDict adamw_state(const torch::optim::AdamW& optimizer, const torch::nn::Module& model);
// Throws wf::Error(corrupt_file) when a parameter's moments are missing or shaped differently.
void restore_adamw_state(torch::optim::AdamW& optimizer, const torch::nn::Module& model, const core::StateDict& state);

}  // namespace wf::train
