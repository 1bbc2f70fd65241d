#include "diffusion/resnet.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/upsampling.h>

namespace wf::diffusion {

namespace F = torch::nn::functional;

AdaptableConv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return AdaptableConv2d(in, out, kernel, stride, padding);
}

torch::nn::GroupNorm group_norm(int64_t groups, int64_t channels, double eps) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps));
}

ResnetBlock2DImpl::ResnetBlock2DImpl(int64_t in, int64_t out, int64_t temb_channels, int64_t groups, double eps) {
  norm1 = register_module("norm1", group_norm(groups, in, eps));
  conv1 = register_module("conv1", conv2d(in, out, 3));
  if (temb_channels > 0) time_emb_proj = register_module("time_emb_proj", AdaptableLinear(temb_channels, out, true));
  norm2 = register_module("norm2", group_norm(groups, out, eps));
  conv2 = register_module("conv2", conv2d(out, out, 3));
  if (in != out) conv_shortcut = register_module("conv_shortcut", conv2d(in, out, 1));
}

at::Tensor ResnetBlock2DImpl::forward(const at::Tensor& x, const std::optional<at::Tensor>& temb) {
  at::Tensor h = conv1->forward(F::silu(norm1->forward(x)));
  if (time_emb_proj && temb) h = h + time_emb_proj->forward(F::silu(*temb)).unsqueeze(-1).unsqueeze(-1);
  h = conv2->forward(F::silu(norm2->forward(h)));
  return (conv_shortcut ? conv_shortcut->forward(x) : x) + h;
}

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t out_channels, bool asymmetric_padding)
    : asymmetric_padding_(asymmetric_padding) {
  conv = register_module("conv", conv2d(channels, out_channels, 3, 2, asymmetric_padding ? 0 : 1));
}

at::Tensor Downsample2DImpl::forward(const at::Tensor& x) {
  return conv->forward(asymmetric_padding_ ? F::pad(x, F::PadFuncOptions({0, 1, 0, 1})) : x);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels) { conv = register_module("conv", conv2d(channels, channels, 3)); }

at::Tensor Upsample2DImpl::forward(const at::Tensor& x, const std::optional<std::vector<int64_t>>& size) {
  auto options = F::InterpolateFuncOptions().mode(torch::kNearest);
  if (size) options.size(*size);
  else options.scale_factor(std::vector<double>{2.0, 2.0});
  return conv->forward(F::interpolate(x, options));
}

}  // namespace wf::diffusion
