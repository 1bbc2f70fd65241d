#pragma once
// Gradient checkpointing for libtorch (which has no torch.utils.checkpoint): run a block without keeping its
// activations, and run it again during backward to get them. Memory for time, as diffusers'
// enable_gradient_checkpointing trades it. The generator's state is restored for the recomputation, so dropout
// draws the same masks twice; the block's parameters receive their gradients during the recomputation.

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

namespace wf::nn {

using Block = std::function<at::Tensor(const std::vector<at::Tensor>& inputs)>;

// `block(inputs)`, with its intermediate activations freed after the forward pass when grad mode is on.
// Undefined inputs are passed through as undefined.
at::Tensor checkpoint(Block block, const std::vector<at::Tensor>& inputs);

}  // namespace wf::nn
