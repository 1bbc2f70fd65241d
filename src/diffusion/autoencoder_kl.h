#pragma once
// diffusers' AutoencoderKL (the Stable Diffusion VAE), module for module so its state_dict keys are those
// of a diffusers `vae/` folder: encoder.{conv_in, down_blocks.N.resnets.M, down_blocks.N.downsamplers.0.conv,
// mid_block.{resnets, attentions.0.{group_norm, to_q, to_k, to_v, to_out.0}}, conv_norm_out, conv_out},
// quant_conv, post_quant_conv, decoder.{..., up_blocks.N.upsamplers.0.conv, ...}.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "diffusion/attention.h"
#include "diffusion/resnet.h"

namespace wf::diffusion {

struct AutoencoderKLConfig {
  int64_t in_channels = 3, out_channels = 3, latent_channels = 4;
  std::vector<int64_t> block_out_channels{128, 256, 512, 512};
  int64_t layers_per_block = 2;
  int64_t norm_num_groups = 32;
  double scaling_factor = 0.18215;

  // A diffusers vae/config.json; unsupported block types or activations throw wf::Error naming `source`.
  static AutoencoderKLConfig from_json(const nlohmann::json& value, const std::filesystem::path& source = {});
};

class UNetMidBlock2DImpl : public torch::nn::Module {
 public:
  UNetMidBlock2DImpl(int64_t channels, int64_t groups);
  at::Tensor forward(at::Tensor x);

 private:
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr};
};
TORCH_MODULE(UNetMidBlock2D);

class VaeEncoderImpl : public torch::nn::Module {
 public:
  explicit VaeEncoderImpl(const AutoencoderKLConfig& config);
  at::Tensor forward(const at::Tensor& x);  // mean and log-variance, 2 x latent_channels

 private:
  AdaptableConv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};
  UNetMidBlock2D mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeEncoder);

class VaeDecoderImpl : public torch::nn::Module {
 public:
  explicit VaeDecoderImpl(const AutoencoderKLConfig& config);
  at::Tensor forward(const at::Tensor& z);

 private:
  AdaptableConv2d conv_in{nullptr}, conv_out{nullptr};
  UNetMidBlock2D mid_block{nullptr};
  torch::nn::ModuleList up_blocks{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeDecoder);

class AutoencoderKLImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLImpl(const AutoencoderKLConfig& config = {});
  // Images in [-1, 1] -> the latent distribution's mean and log-variance (unscaled).
  std::pair<at::Tensor, at::Tensor> encode(const at::Tensor& images);
  // Latents (unscaled) -> images in about [-1, 1].
  at::Tensor decode(const at::Tensor& latents);
  // decode() in overlapping tiles of `tile` latents (8x as many pixels), cross-faded over `overlap` latents,
  // so memory stays that of one tile whatever the image size.
  at::Tensor tiled_decode(const at::Tensor& latents, int64_t tile = 64, int64_t overlap = 16);
  const AutoencoderKLConfig& config() const { return config_; }

 private:
  AutoencoderKLConfig config_;
  VaeEncoder encoder{nullptr};
  VaeDecoder decoder{nullptr};
  AdaptableConv2d quant_conv{nullptr}, post_quant_conv{nullptr};
};
TORCH_MODULE(AutoencoderKL);

}  // namespace wf::diffusion
