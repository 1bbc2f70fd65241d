#include "nn/checkpoint.h"

#include <torch/autograd.h>
#include <torch/custom_class.h>

#include <ATen/Context.h>

namespace wf::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The generator a block draws from (dropout): the CPU's, or the CUDA device's the inputs are on.
at::Generator generator_of(const at::TensorList& inputs) {
  for (const auto& t : inputs) {
    if (t.defined() && t.is_cuda()) return at::globalContext().defaultGenerator(t.device());
  }
  return at::globalContext().defaultGenerator(c10::Device(c10::kCPU));
}

struct BlockHolder : torch::CustomClassHolder {
  explicit BlockHolder(Block b) : block(std::move(b)) {}
  Block block;
};

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  // The inputs come as a TensorList: autograd counts its elements as inputs (a std::vector would be opaque).
  static variable_list forward(AutogradContext* ctx, c10::intrusive_ptr<BlockHolder> holder, at::TensorList list) {
    const variable_list inputs(list.begin(), list.end());
    ctx->saved_data["block"] = c10::IValue::make_capsule(holder);
    // As torch.utils.checkpoint's preserve_rng_state: the recomputation draws the same dropout masks.
    ctx->saved_data["rng_state"] = generator_of(list).get_state();
    ctx->save_for_backward(inputs);
    const torch::NoGradGuard no_grad;
    return {holder->block(inputs)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto holder = ctx->saved_data["block"].toCapsule();
    const Block& block = static_cast<BlockHolder*>(holder.get())->block;
    variable_list inputs;
    for (const auto& saved : ctx->get_saved_variables()) {
      inputs.push_back(saved.defined() ? saved.detach().requires_grad_(saved.requires_grad()) : saved);
    }
    {
      at::Generator generator = generator_of(inputs);
      const at::Tensor state_now = generator.get_state();
      generator.set_state(ctx->saved_data["rng_state"].toTensor());
      const torch::AutoGradMode grad(true);
      const at::Tensor output = block(inputs);
      generator.set_state(state_now);
      if (output.requires_grad()) torch::autograd::backward({output}, {grad_outputs[0]});
    }
    variable_list grads{at::Tensor()};  // for the holder
    for (const auto& input : inputs) grads.push_back(input.defined() && input.requires_grad() ? input.grad() : at::Tensor());
    return grads;
  }
};

}  // namespace

at::Tensor checkpoint(Block block, const std::vector<at::Tensor>& inputs) {
  if (!torch::GradMode::is_enabled()) return block(inputs);
  // A grad-requiring token input, so the node is recorded even when no real input needs a gradient but the
  // block's parameters do (the first blocks of a network).
  variable_list with_token = inputs;
  with_token.push_back(at::ones({}, at::TensorOptions(at::kFloat)).requires_grad_(true));
  Block without_token = [block = std::move(block)](const std::vector<at::Tensor>& all) {
    return block(std::vector<at::Tensor>(all.begin(), all.end() - 1));
  };
  return CheckpointFunction::apply(c10::make_intrusive<BlockHolder>(std::move(without_token)), at::TensorList(with_token))[0];
}

}  // namespace wf::nn
