#pragma once
// diffusers' Transformer2DModel with BasicTransformerBlock and FeedForward (GEGLU), as Stable Diffusion's
// UNet uses them: norm -> proj_in -> transformer_blocks.N.{norm1, attn1, norm2, attn2, norm3, ff.net.{0.proj,2}}
// -> proj_out, plus the input.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "diffusion/attention.h"

namespace wf::diffusion {

class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dim, int64_t mult);
  at::Tensor forward(const at::Tensor& x);

 private:
  AdaptableLinear proj{nullptr}, out{nullptr};  // net.0.proj (GEGLU), net.2
};
TORCH_MODULE(FeedForward);

class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t dim_head, int64_t cross_attention_dim, bool upcast);
  at::Tensor forward(at::Tensor x, const at::Tensor& context);

 private:
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Attention attn1{nullptr}, attn2{nullptr};
  FeedForward ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct Transformer2DOptions {
  int64_t channels = 0, heads = 8, groups = 32, cross_attention_dim = 768;
  bool use_linear_projection = false;
  bool upcast = false;
};

class Transformer2DModelImpl : public torch::nn::Module {
 public:
  explicit Transformer2DModelImpl(const Transformer2DOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context);  // [B, C, H, W] in and out

 private:
  bool use_linear_projection_;
  torch::nn::GroupNorm norm{nullptr};
  std::shared_ptr<torch::nn::Module> proj_in, proj_out;  // 1x1 AdaptableConv2d (SD 1.x) or AdaptableLinear (SD 2.x)
  torch::nn::ModuleList transformer_blocks{nullptr};
};
TORCH_MODULE(Transformer2DModel);

}  // namespace wf::diffusion
