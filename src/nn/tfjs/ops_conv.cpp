// Convolutions and pooling in TensorFlow's NHWC semantics, including its "SAME" padding, which puts
// the odd extra pixel after (bottom/right) where libtorch's symmetric padding cannot express it.

#include <ATen/ATen.h>

#include <limits>

#include "core/error.h"
#include "nn/tfjs/attributes.h"
#include "nn/tfjs/ops.h"

namespace wf::nn::tfjs {
namespace {

struct Window {
  std::int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h = 1, dilation_w = 1;
};

struct Padding {
  std::int64_t top = 0, bottom = 0, left = 0, right = 0;
  bool symmetric() const { return top == bottom && left == right; }
};

std::pair<std::int64_t, std::int64_t> same_padding(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                                   std::int64_t dilation) {
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + (kernel - 1) * dilation + 1 - in, 0);
  return {total / 2, total - total / 2};
}

Padding padding_for(const Node& node, const at::Tensor& nhwc, const Window& window) {
  const std::string mode = attr_string(node, "padding", "VALID");
  Padding padding;
  if (mode == "SAME") {
    std::tie(padding.top, padding.bottom) = same_padding(nhwc.size(1), window.kernel_h, window.stride_h, window.dilation_h);
    std::tie(padding.left, padding.right) = same_padding(nhwc.size(2), window.kernel_w, window.stride_w, window.dilation_w);
  } else if (mode == "EXPLICIT") {
    const auto pads = attr_ints(node, "explicit_paddings");
    if (pads.size() != 8) throw Error(ErrorCode::corrupt_file, "node '" + node.name + "' has malformed explicit_paddings");
    padding = {pads[2], pads[3], pads[4], pads[5]};
  } else if (mode != "VALID") {
    throw Error(ErrorCode::unsupported, "node '" + node.name + "' uses padding '" + mode + "'");
  }
  return padding;
}

Window window_of(const Node& node, std::int64_t kernel_h, std::int64_t kernel_w) {
  const auto strides = attr_ints(node, "strides", {1, 1, 1, 1});
  const auto dilations = attr_ints(node, "dilations", {1, 1, 1, 1});
  if (attr_string(node, "data_format", "NHWC") != "NHWC") {
    throw Error(ErrorCode::unsupported, "node '" + node.name + "' is not NHWC");
  }
  return {kernel_h, kernel_w, strides[1], strides[2], dilations[1], dilations[2]};
}

at::Tensor to_nchw(const at::Tensor& nhwc) { return nhwc.permute({0, 3, 1, 2}); }
at::Tensor to_nhwc(const at::Tensor& nchw) { return nchw.permute({0, 2, 3, 1}).contiguous(); }

// Pads an NCHW view where libtorch's symmetric padding cannot; returns the padding left for the kernel.
std::pair<at::Tensor, std::vector<std::int64_t>> prepare(const at::Tensor& nchw, const Padding& padding,
                                                         double fill = 0.0) {
  if (padding.symmetric()) return {nchw, {padding.top, padding.left}};
  return {at::constant_pad_nd(nchw, {padding.left, padding.right, padding.top, padding.bottom}, fill), {0, 0}};
}

// filter: HWIO for a regular conv, HW(in)(multiplier) for a depthwise one.
at::Tensor convolve(const Node& node, const at::Tensor& x, const at::Tensor& filter, const c10::optional<at::Tensor>& bias,
                    bool depthwise) {
  const Window window = window_of(node, filter.size(0), filter.size(1));
  const Padding padding = padding_for(node, x, window);
  at::Tensor weight;
  std::int64_t groups = 1;
  if (depthwise) {
    weight = filter.permute({2, 3, 0, 1}).reshape({filter.size(2) * filter.size(3), 1, filter.size(0), filter.size(1)});
    groups = filter.size(2);
  } else {
    weight = filter.permute({3, 2, 0, 1});
  }
  const auto [input, pad] = prepare(to_nchw(x), padding);
  return to_nhwc(at::conv2d(input, weight.contiguous(), bias, {window.stride_h, window.stride_w}, pad,
                            {window.dilation_h, window.dilation_w}, groups));
}

Tensors conv2d(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  return {convolve(node, in[0], in[1], c10::nullopt, false)};
}

Tensors depthwise_conv2d(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  return {convolve(node, in[0], in[1], c10::nullopt, true)};
}

template <bool Depthwise>
Tensors fused_conv2d(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 3);
  const at::Tensor value = convolve(node, in[0], in[1], in[2], Depthwise);
  return {apply_fused_activation(node, value, Tensors(in.begin() + 3, in.end()))};
}

// TensorFlow's conv2d_transpose: inputs are (output_shape, filter HW(out)(in), value).
Tensors conv2d_backprop_input(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 3);
  const auto output_shape = to_int_vector(in[0]);
  const at::Tensor& filter = in[1];
  const at::Tensor& x = in[2];
  const Window window = window_of(node, filter.size(0), filter.size(1));
  const at::Tensor full = at::conv_transpose2d(to_nchw(x), filter.permute({3, 2, 0, 1}).contiguous(), {},
                                               {window.stride_h, window.stride_w}, 0, 0, 1,
                                               {window.dilation_h, window.dilation_w});
  // The forward conv of this op maps output_shape to x's size; its padding says where to crop.
  std::int64_t top = 0;
  std::int64_t left = 0;
  if (attr_string(node, "padding", "VALID") == "SAME") {
    top = same_padding(output_shape[1], window.kernel_h, window.stride_h, window.dilation_h).first;
    left = same_padding(output_shape[2], window.kernel_w, window.stride_w, window.dilation_w).first;
  }
  return {to_nhwc(full.slice(2, top, top + output_shape[1]).slice(3, left, left + output_shape[2]))};
}

Tensors max_pool(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 1);
  const auto ksize = attr_ints(node, "ksize");
  const Window window = window_of(node, ksize.at(1), ksize.at(2));
  const Padding padding = padding_for(node, in[0], window);
  const auto [input, pad] = prepare(to_nchw(in[0]), padding, -std::numeric_limits<double>::infinity());
  return {to_nhwc(at::max_pool2d(input, {window.kernel_h, window.kernel_w}, {window.stride_h, window.stride_w}, pad))};
}

// TensorFlow averages over the window's real pixels only, whatever side the padding falls on.
Tensors avg_pool(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 1);
  const auto ksize = attr_ints(node, "ksize");
  const Window window = window_of(node, ksize.at(1), ksize.at(2));
  const Padding padding = padding_for(node, in[0], window);
  const at::Tensor x = to_nchw(in[0]);
  const std::vector<std::int64_t> kernel{window.kernel_h, window.kernel_w};
  const std::vector<std::int64_t> stride{window.stride_h, window.stride_w};
  if (padding.top == 0 && padding.bottom == 0 && padding.left == 0 && padding.right == 0) {
    return {to_nhwc(at::avg_pool2d(x, kernel, stride))};
  }
  const std::vector<std::int64_t> pads{padding.left, padding.right, padding.top, padding.bottom};
  const at::Tensor sums = at::avg_pool2d(at::constant_pad_nd(x, pads, 0.0), kernel, stride);
  const at::Tensor ones = at::ones({1, 1, x.size(2), x.size(3)}, x.options());
  const at::Tensor counts = at::avg_pool2d(at::constant_pad_nd(ones, pads, 0.0), kernel, stride);
  return {to_nhwc(sums / counts)};
}

}  // namespace

void add_conv_kernels(KernelTable& table) {
  table["Conv2D"] = conv2d;
  table["DepthwiseConv2dNative"] = depthwise_conv2d;
  table["_FusedConv2D"] = fused_conv2d<false>;
  table["FusedDepthwiseConv2dNative"] = fused_conv2d<true>;
  table["Conv2DBackpropInput"] = conv2d_backprop_input;
  table["MaxPool"] = max_pool;
  table["AvgPool"] = avg_pool;
}

}  // namespace wf::nn::tfjs
