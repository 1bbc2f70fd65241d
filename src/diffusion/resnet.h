#pragma once
// diffusers' models/resnet.py and upsampling/downsampling: the ResnetBlock2D, Downsample2D and Upsample2D
// shared by the VAE, the UNet and the ControlNet, with diffusers' parameter names.

#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>

#include <optional>
#include <vector>

#include "diffusion/adaptable_layer.h"

namespace wf::diffusion {

// A k x k convolution with "same" padding unless `padding` is given (every convolution is adaptable: LoRA's
// conv layers attach to it).
AdaptableConv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = -1);
torch::nn::GroupNorm group_norm(int64_t groups, int64_t channels, double eps);

// norm1 -> SiLU -> conv1 (+ time_emb_proj(SiLU(temb))) -> norm2 -> SiLU -> conv2, plus the (1x1 conv_shortcut)
// input. The VAE's blocks have no time embedding (temb_channels = 0).
class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  ResnetBlock2DImpl(int64_t in, int64_t out, int64_t temb_channels, int64_t groups, double eps);
  at::Tensor forward(const at::Tensor& x, const std::optional<at::Tensor>& temb = std::nullopt);

 private:
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  AdaptableConv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
  AdaptableLinear time_emb_proj{nullptr};
};
TORCH_MODULE(ResnetBlock2D);

// A stride-2 3x3 convolution. The UNet pads one pixel all round; the VAE pads only right and bottom
// (its `padding=0` variant), which is what `asymmetric_padding` selects.
class Downsample2DImpl : public torch::nn::Module {
 public:
  Downsample2DImpl(int64_t channels, int64_t out_channels, bool asymmetric_padding);
  at::Tensor forward(const at::Tensor& x);

 private:
  bool asymmetric_padding_;
  AdaptableConv2d conv{nullptr};
};
TORCH_MODULE(Downsample2D);

// Nearest-neighbour 2x (or to `size`, when a skip connection has an odd size) then a 3x3 convolution.
class Upsample2DImpl : public torch::nn::Module {
 public:
  explicit Upsample2DImpl(int64_t channels);
  at::Tensor forward(const at::Tensor& x, const std::optional<std::vector<int64_t>>& size = std::nullopt);

 private:
  AdaptableConv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

}  // namespace wf::diffusion
