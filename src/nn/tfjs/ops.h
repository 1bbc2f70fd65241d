#pragma once
// Kernels of the tfjs executor: one function per TensorFlow op, on NHWC tensors as TensorFlow has them.
// Convolutions run through libtorch's NCHW kernels on a permuted view (physically channels-last), so
// no copies are made at the layout boundary.

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include "nn/tfjs/model_json.h"

namespace wf::nn::tfjs {

using Tensors = std::vector<at::Tensor>;
using Kernel = Tensors (*)(const Node& node, const Tensors& inputs);
using KernelTable = std::map<std::string, Kernel>;

void add_conv_kernels(KernelTable& table);   // Conv2D, depthwise, fused variants, transposed conv, pooling
void add_math_kernels(KernelTable& table);   // element-wise, activations, reductions, matmul, softmax
void add_shape_kernels(KernelTable& table);  // reshape, squeeze, pad, concat, resize

const KernelTable& kernels();

// Applies the activations a fused op lists after its BiasAdd (Relu, Relu6, Prelu, Elu, LeakyRelu, Sigmoid);
// the bias itself is already added by the caller. `extra` holds the inputs after the bias (the Prelu alpha).
at::Tensor apply_fused_activation(const Node& node, at::Tensor value, const Tensors& extra);

// Throws wf::Error(corrupt_file) naming the node when the op got fewer inputs than it needs.
void expect_inputs(const Node& node, const Tensors& inputs, std::size_t count);

// An int32/int64 tensor (shapes, axes, paddings) as a vector.
std::vector<std::int64_t> to_int_vector(const at::Tensor& tensor);

}  // namespace wf::nn::tfjs
