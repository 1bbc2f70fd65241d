#pragma once
// diffusers' Attention (models/attention_processor.py) with its two extension points:
// - processors: `set_processor` swaps how an attention layer computes, as diffusers' `set_attn_processor`
//   does (the IP-Adapter adds key/value projections for image tokens this way). A processor is a module
//   registered as the child "processor", so its weights appear under `...attn2.processor.*` as in diffusers.
// - adapters: every projection is an AdaptableLinear (adaptable_layer.h), which LoRA attaches to.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "diffusion/adaptable_layer.h"

namespace wf::diffusion {

struct AttentionOptions {
  int64_t query_dim = 0;
  int64_t cross_attention_dim = 0;  // 0: self-attention
  int64_t heads = 8;
  int64_t dim_head = 64;
  bool bias = false;            // on to_q, to_k, to_v (to_out.0 always has one)
  int64_t norm_num_groups = 0;  // > 0: a GroupNorm over [B, C, H, W] input first (the VAE's mid-block)
  double norm_eps = 1e-5;
  bool residual_connection = false;
  bool upcast = false;  // compute the attention in fp32 (SD 2.x's upcast_attention)
};

class AttentionImpl;

class AttentionProcessor : public torch::nn::Module {
 public:
  // `hidden` is [B, N, C] (after the layer's own group norm and flattening); `context` is the cross-attention
  // context [B, M, cross_attention_dim], undefined for self-attention. Returns [B, N, query_dim] before
  // the residual connection.
  virtual at::Tensor forward(AttentionImpl& attention, const at::Tensor& hidden, const at::Tensor& context) = 0;
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  // [B, N, C] or [B, C, H, W] in, same shape out.
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& context = {});
  void set_processor(std::shared_ptr<AttentionProcessor> processor);
  const std::shared_ptr<AttentionProcessor>& processor() const { return processor_; }

  // The default processor (diffusers' AttnProcessor2_0) on flattened input; processors that extend it call it.
  at::Tensor default_forward(const at::Tensor& hidden, const at::Tensor& context);
  // softmax(q k^T / sqrt(d)) v with heads split from and merged back into the last dimension.
  at::Tensor attend(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value) const;
  const AttentionOptions& options() const { return options_; }

  torch::nn::GroupNorm group_norm{nullptr};
  AdaptableLinear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out{nullptr};  // [AdaptableLinear] (diffusers' index 1 is a parameterless Dropout)

 private:
  AttentionOptions options_;
  std::shared_ptr<AttentionProcessor> processor_;
};
TORCH_MODULE(Attention);

// Every attention layer of `model` in module order, with its dotted name: diffusers' `attn_processors` order,
// which IP-Adapter weight files index.
std::vector<std::pair<std::string, Attention>> named_attention_layers(torch::nn::Module& model);

}  // namespace wf::diffusion
