// Element-wise ops, activations, reductions and matrix products.

#include <ATen/ATen.h>

#include "core/error.h"
#include "nn/tfjs/attributes.h"
#include "nn/tfjs/ops.h"

namespace wf::nn::tfjs {
namespace {

at::Tensor leaky_by(const at::Tensor& x, const at::Tensor& alpha) { return at::where(x > 0, x, x * alpha); }

at::Tensor activation(const Node& node, const std::string& name, const at::Tensor& x, const Tensors& extra) {
  if (name == "Relu") return at::relu(x);
  if (name == "Relu6") return at::clamp(x, 0.0, 6.0);
  if (name == "Sigmoid") return at::sigmoid(x);
  if (name == "Elu") return at::elu(x);
  if (name == "LeakyRelu") return at::leaky_relu(x, attr_float(node, "leakyrelu_alpha", 0.2));
  if (name == "Prelu") {
    if (extra.empty()) throw Error(ErrorCode::corrupt_file, "node '" + node.name + "' fuses Prelu without its alpha");
    return leaky_by(x, extra[0]);
  }
  throw Error(ErrorCode::unsupported, "node '" + node.name + "' fuses activation '" + name + "'");
}

template <at::Tensor (*Fn)(const at::Tensor&, const at::Tensor&)>
Tensors binary(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  return {Fn(in[0], in[1])};
}

at::Tensor add(const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); }
at::Tensor sub(const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); }
at::Tensor mul(const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }
at::Tensor div(const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }
at::Tensor maximum(const at::Tensor& a, const at::Tensor& b) { return at::maximum(a, b); }
at::Tensor minimum(const at::Tensor& a, const at::Tensor& b) { return at::minimum(a, b); }
at::Tensor squared_difference(const at::Tensor& a, const at::Tensor& b) { return at::square(a - b); }

template <at::Tensor (*Fn)(const at::Tensor&)>
Tensors unary(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 1);
  return {Fn(in[0])};
}

at::Tensor relu6(const at::Tensor& x) { return at::clamp(x, 0.0, 6.0); }
at::Tensor identity(const at::Tensor& x) { return x; }
at::Tensor sigmoid(const at::Tensor& x) { return at::sigmoid(x); }
at::Tensor relu(const at::Tensor& x) { return at::relu(x); }
at::Tensor tanh(const at::Tensor& x) { return at::tanh(x); }
at::Tensor abs(const at::Tensor& x) { return at::abs(x); }
at::Tensor square(const at::Tensor& x) { return at::square(x); }
at::Tensor rsqrt(const at::Tensor& x) { return at::rsqrt(x); }
at::Tensor sqrt(const at::Tensor& x) { return at::sqrt(x); }
at::Tensor neg(const at::Tensor& x) { return at::neg(x); }
at::Tensor exp(const at::Tensor& x) { return at::exp(x); }
at::Tensor elu(const at::Tensor& x) { return at::elu(x); }

Tensors prelu_op(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  return {leaky_by(in[0], in[1])};
}

Tensors add_n(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 1);
  at::Tensor sum = in[0];
  for (std::size_t i = 1; i < in.size(); ++i) sum = sum + in[i];
  return {sum};
}

at::Tensor matmul(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  const at::Tensor a = attr_bool(node, "transpose_a") ? in[0].transpose(-2, -1) : in[0];
  const at::Tensor b = attr_bool(node, "transpose_b") ? in[1].transpose(-2, -1) : in[1];
  return at::matmul(a, b);
}

Tensors matmul_op(const Node& node, const Tensors& in) { return {matmul(node, in)}; }

Tensors fused_matmul(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 3);
  return {apply_fused_activation(node, matmul(node, in) + in[2], Tensors(in.begin() + 3, in.end()))};
}

template <int Kind>
Tensors reduce(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  std::vector<std::int64_t> axes = to_int_vector(in[1]);
  const bool keep = attr_bool(node, "keep_dims");
  if (Kind == 0) return {at::mean(in[0], axes, keep)};
  if (Kind == 1) return {at::sum(in[0], axes, keep)};
  at::Tensor value = in[0];
  std::sort(axes.begin(), axes.end(), std::greater<>());
  for (auto axis : axes) value = (Kind == 2 ? std::get<0>(value.max(axis, keep)) : std::get<0>(value.min(axis, keep)));
  return {value};
}

Tensors softmax(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 1);
  return {at::softmax(in[0], -1)};
}

}  // namespace

at::Tensor apply_fused_activation(const Node& node, at::Tensor value, const Tensors& extra) {
  const auto fused = attr_strings(node, "fused_ops");
  if (fused.empty() || fused[0] != "BiasAdd") {
    throw Error(ErrorCode::unsupported, "node '" + node.name + "' fuses ops other than BiasAdd first");
  }
  for (std::size_t i = 1; i < fused.size(); ++i) value = activation(node, fused[i], value, extra);
  return value;
}

void add_math_kernels(KernelTable& table) {
  table["Add"] = binary<add>;
  table["AddV2"] = binary<add>;
  table["BiasAdd"] = binary<add>;
  table["Sub"] = binary<sub>;
  table["Mul"] = binary<mul>;
  table["RealDiv"] = binary<div>;
  table["Div"] = binary<div>;
  table["Maximum"] = binary<maximum>;
  table["Minimum"] = binary<minimum>;
  table["SquaredDifference"] = binary<squared_difference>;
  table["AddN"] = add_n;
  table["Identity"] = unary<identity>;
  table["Relu"] = unary<relu>;
  table["Relu6"] = unary<relu6>;
  table["Elu"] = unary<elu>;
  table["Sigmoid"] = unary<sigmoid>;
  table["Tanh"] = unary<tanh>;
  table["Abs"] = unary<abs>;
  table["Square"] = unary<square>;
  table["Rsqrt"] = unary<rsqrt>;
  table["Sqrt"] = unary<sqrt>;
  table["Neg"] = unary<neg>;
  table["Exp"] = unary<exp>;
  table["Prelu"] = prelu_op;
  table["MatMul"] = matmul_op;
  table["_FusedMatMul"] = fused_matmul;
  table["Mean"] = reduce<0>;
  table["Sum"] = reduce<1>;
  table["Max"] = reduce<2>;
  table["Min"] = reduce<3>;
  table["Softmax"] = softmax;
}

}  // namespace wf::nn::tfjs
