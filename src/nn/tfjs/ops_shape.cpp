// Shape and layout ops: reshape, squeeze, expand, pad, concat, bilinear resize.

#include <ATen/ATen.h>

#include "core/error.h"
#include "nn/tfjs/attributes.h"
#include "nn/tfjs/ops.h"

namespace wf::nn::tfjs {
namespace {

std::int64_t normalise_axis(std::int64_t axis, std::int64_t rank) { return axis < 0 ? axis + rank : axis; }

Tensors reshape(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  return {in[0].reshape(to_int_vector(in[1]))};
}

Tensors squeeze(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 1);
  auto axes = attr_ints(node, "squeeze_dims");
  if (axes.empty()) return {in[0].squeeze()};
  at::Tensor value = in[0];
  for (auto& axis : axes) axis = normalise_axis(axis, value.dim());
  std::sort(axes.begin(), axes.end(), std::greater<>());
  for (auto axis : axes) value = value.squeeze(axis);
  return {value};
}

Tensors expand_dims(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  return {in[0].unsqueeze(normalise_axis(to_int_vector(in[1]).at(0), in[0].dim() + 1))};
}

// paddings is [rank, 2]; libtorch wants (before, after) pairs from the last dimension backwards.
Tensors pad(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  const auto paddings = to_int_vector(in[1]);
  const std::int64_t rank = in[0].dim();
  if (static_cast<std::int64_t>(paddings.size()) != 2 * rank) {
    throw Error(ErrorCode::corrupt_file, "node '" + node.name + "' has paddings that do not match the input's rank");
  }
  std::vector<std::int64_t> pads;
  for (std::int64_t d = rank - 1; d >= 0; --d) {
    pads.push_back(paddings[2 * d]);
    pads.push_back(paddings[2 * d + 1]);
  }
  const double fill = in.size() > 2 ? in[2].item<double>() : 0.0;
  return {at::constant_pad_nd(in[0], pads, fill)};
}

Tensors concat(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  const std::vector<at::Tensor> parts(in.begin(), in.end() - 1);
  return {at::cat(parts, normalise_axis(to_int_vector(in.back()).at(0), parts[0].dim()))};
}

// NHWC bilinear resize with TensorFlow's three coordinate conventions.
Tensors resize_bilinear(const Node& node, const Tensors& in) {
  expect_inputs(node, in, 2);
  const auto size = to_int_vector(in[1]);
  const bool align_corners = attr_bool(node, "align_corners");
  const bool half_pixel = attr_bool(node, "half_pixel_centers");
  const at::Tensor x = in[0].permute({0, 3, 1, 2});
  at::Tensor y;
  if (align_corners || half_pixel) {
    y = at::upsample_bilinear2d(x, {size.at(0), size.at(1)}, align_corners);
  } else {
    // Legacy TensorFlow: source = destination * (in / out), no half-pixel offset, clamped at the edge.
    auto axis = [&](std::int64_t out, std::int64_t in_size) {
      const at::Tensor source = at::arange(out, x.options()) * (static_cast<double>(in_size) / out);
      return source.clamp_max(in_size - 1) * (2.0 / std::max<std::int64_t>(in_size - 1, 1)) - 1.0;
    };
    const at::Tensor gy = axis(size.at(0), x.size(2)).view({-1, 1}).expand({size.at(0), size.at(1)});
    const at::Tensor gx = axis(size.at(1), x.size(3)).view({1, -1}).expand({size.at(0), size.at(1)});
    const at::Tensor grid = at::stack({gx, gy}, -1).unsqueeze(0).expand({x.size(0), size.at(0), size.at(1), 2});
    y = at::grid_sampler(x, grid, /*bilinear*/ 0, /*border*/ 1, /*align_corners*/ true);
  }
  return {y.permute({0, 2, 3, 1}).contiguous()};
}

}  // namespace

void add_shape_kernels(KernelTable& table) {
  table["Reshape"] = reshape;
  table["Squeeze"] = squeeze;
  table["ExpandDims"] = expand_dims;
  table["Pad"] = pad;
  table["PadV2"] = pad;
  table["ConcatV2"] = concat;
  table["ResizeBilinear"] = resize_bilinear;
}

}  // namespace wf::nn::tfjs
