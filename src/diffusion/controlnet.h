#pragma once
// diffusers' ControlNetModel: a copy of the UNet's encoder half (conv_in, time_embedding, down_blocks,
// mid_block) that also sees a control image through controlnet_cond_embedding, and hands the UNet one
// residual per skip connection through zero-initialised 1x1 convolutions (controlnet_down_blocks.N,
// controlnet_mid_block). InstantID's IdentityNet is one of these.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include "diffusion/adaptable_layer.h"
#include "diffusion/embeddings.h"
#include "diffusion/unet_2d_blocks.h"
#include "diffusion/unet_2d_condition.h"
#include "diffusion/unet_config.h"

namespace wf::diffusion {

// conv_in -> SiLU -> blocks (pairs of 3x3 convs, the second strided) with SiLU -> zero-initialised conv_out:
// a control image at pixel resolution down to latent resolution.
class ControlNetConditioningEmbeddingImpl : public torch::nn::Module {
 public:
  ControlNetConditioningEmbeddingImpl(int64_t conditioning_channels, const std::vector<int64_t>& channels,
                                      int64_t out_channels);
  at::Tensor forward(const at::Tensor& image);
  int64_t downscale() const { return int64_t{1} << (blocks->size() / 2); }

 private:
  AdaptableConv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList blocks{nullptr};
};
TORCH_MODULE(ControlNetConditioningEmbedding);

struct ControlNetInput {
  double conditioning_scale = 1.0;
  // Without a prompt (diffusers' guess mode): residuals scaled from 0.1 at the first skip to 1.0 at the mid block.
  bool guess_mode = false;
};

class ControlNetModelImpl : public torch::nn::Module {
 public:
  explicit ControlNetModelImpl(const ControlNetConfig& config = {});
  // sample [B, in_channels, h, w], timestep scalar or [B], context [B, M, cross_attention_dim], control image
  // [B, conditioning_channels, 8h, 8w] in [0, 1] -> the residuals for UNet2DConditionModel::forward.
  ControlResiduals forward(const at::Tensor& sample, const at::Tensor& timestep, const at::Tensor& context,
                           const at::Tensor& control_image, const ControlNetInput& input = {});
  const ControlNetConfig& config() const { return config_; }

 private:
  ControlNetConfig config_;
  AdaptableConv2d conv_in{nullptr};
  TimestepEmbedding time_embedding{nullptr};
  ControlNetConditioningEmbedding controlnet_cond_embedding{nullptr};
  torch::nn::ModuleList down_blocks{nullptr}, controlnet_down_blocks{nullptr};
  MidBlock mid_block{nullptr};
  AdaptableConv2d controlnet_mid_block{nullptr};
};
TORCH_MODULE(ControlNetModel);

// diffusers' ControlNetModel.from_unet: the UNet's configuration, its encoder weights copied, the
// conditioning embedding's output and every residual convolution at zero (so it starts as a no-op).
ControlNetModel controlnet_from_unet(UNet2DConditionModel& unet, bool copy_weights = true);

}  // namespace wf::diffusion
