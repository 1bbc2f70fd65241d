#include "nn/tfjs/ops.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace wf::nn::tfjs {

const KernelTable& kernels() {
  static const KernelTable table = [] {
    KernelTable made;
    add_conv_kernels(made);
    add_math_kernels(made);
    add_shape_kernels(made);
    return made;
  }();
  return table;
}

void expect_inputs(const Node& node, const Tensors& inputs, std::size_t count) {
  if (inputs.size() < count) {
    throw Error(ErrorCode::corrupt_file, "node '" + node.name + "' (" + node.op + ") has " +
                                             std::to_string(inputs.size()) + " inputs, needs " + std::to_string(count));
  }
}

std::vector<std::int64_t> to_int_vector(const at::Tensor& tensor) {
  const at::Tensor values = tensor.to(at::kCPU, at::kLong).contiguous().view(-1);
  return {values.data_ptr<std::int64_t>(), values.data_ptr<std::int64_t>() + values.numel()};
}

}  // namespace wf::nn::tfjs
