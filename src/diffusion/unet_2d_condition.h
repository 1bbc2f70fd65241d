#pragma once
// diffusers' UNet2DConditionModel, built from its config.json, module for module so a diffusers
// `unet/diffusion_pytorch_model.safetensors` loads key for key: conv_in, time_embedding.linear_{1,2},
// down_blocks.N.{resnets, attentions, downsamplers}, mid_block, up_blocks.N.{resnets, attentions, upsamplers},
// conv_norm_out, conv_out. Attention processors and LoRA attach through diffusion/attention.h.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "diffusion/adaptable_layer.h"
#include "diffusion/embeddings.h"
#include "diffusion/unet_2d_blocks.h"
#include "diffusion/unet_config.h"

namespace wf::diffusion {

// What a ControlNet adds to the UNet: one tensor per skip connection and one for the mid-block output.
struct ControlResiduals {
  std::vector<at::Tensor> down;
  at::Tensor mid;
};

class UNet2DConditionModelImpl : public torch::nn::Module {
 public:
  explicit UNet2DConditionModelImpl(const UNet2DConditionConfig& config = {});
  // sample [B, in_channels, h, w], timestep scalar or [B], context [B, M, cross_attention_dim]
  // -> the prediction [B, out_channels, h, w].
  at::Tensor forward(const at::Tensor& sample, const at::Tensor& timestep, const at::Tensor& context,
                     const ControlResiduals* control = nullptr);
  const UNet2DConditionConfig& config() const { return config_; }

 private:
  UNet2DConditionConfig config_;
  AdaptableConv2d conv_in{nullptr}, conv_out{nullptr};
  TimestepEmbedding time_embedding{nullptr};
  torch::nn::ModuleList down_blocks{nullptr}, up_blocks{nullptr};
  MidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace wf::diffusion
