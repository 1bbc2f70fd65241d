#pragma once
// diffusers' unet_2d_blocks.py for Stable Diffusion: DownBlock2D / CrossAttnDownBlock2D (one class, with or
// without `attentions`), UNetMidBlock2DCrossAttn, and UpBlock2D / CrossAttnUpBlock2D. Shared by the UNet and
// the ControlNet, as diffusers shares get_down_block.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <optional>
#include <vector>

#include "diffusion/embeddings.h"
#include "diffusion/unet_config.h"

namespace wf::diffusion {

class DownBlockImpl : public torch::nn::Module {
 public:
  bool gradient_checkpointing = false;
  DownBlockImpl(const UNet2DConditionConfig& config, std::size_t index, int64_t in, int64_t out, int64_t temb);
  // Appends each resnet/attention output, then the downsampler's, to `skips` (the UNet's skip connections).
  at::Tensor forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context, std::vector<at::Tensor>& skips);

 private:
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr}, downsamplers{nullptr};
};
TORCH_MODULE(DownBlock);

class MidBlockImpl : public torch::nn::Module {  // UNetMidBlock2DCrossAttn
 public:
  bool gradient_checkpointing = false;
  MidBlockImpl(const UNet2DConditionConfig& config, int64_t channels, int64_t temb);
  at::Tensor forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context);

 private:
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr};
};
TORCH_MODULE(MidBlock);

class UpBlockImpl : public torch::nn::Module {
 public:
  bool gradient_checkpointing = false;
  // `index` counts up blocks from the deepest; `skip_in` is the channel count of the block the last skip
  // connection comes from (diffusers' in_channels), `prev` the input's.
  UpBlockImpl(const UNet2DConditionConfig& config, std::size_t index, int64_t skip_in, int64_t out, int64_t prev,
              int64_t temb);
  // Consumes skip connections from the back of `skips`; `size` is the upsampler's output size when the
  // next skip connection is not exactly twice as large.
  at::Tensor forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context, std::vector<at::Tensor>& skips,
                     const std::optional<std::vector<int64_t>>& size);

 private:
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr}, upsamplers{nullptr};
};
TORCH_MODULE(UpBlock);

// How the UNet and the ControlNet begin: check the latents [B, in_channels, h, w] and the context
// [B, tokens, cross_attention_dim] (wf::Error naming `model` otherwise), then embed the timestep(s) for the blocks.
at::Tensor embed_time(TimestepEmbeddingImpl& time_embedding, const UNet2DConditionConfig& config, const char* model,
                      const at::Tensor& sample, const at::Tensor& timestep, const at::Tensor& context);

// Recompute every resnet and transformer of `model`'s blocks (a UNet or a ControlNet) during backward instead
// of keeping their activations (diffusers' enable_gradient_checkpointing).
void set_gradient_checkpointing(torch::nn::Module& model, bool enabled);

}  // namespace wf::diffusion
