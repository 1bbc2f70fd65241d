#pragma once
// IP-Adapter as InstantID uses it: a Resampler turns the face embedding into identity tokens of the UNet's
// cross-attention width, and every cross-attention layer attends to them through its own key/value
// projections (decoupled cross-attention), added to the text attention with a scale.
//
// The module's state_dict is InstantID's ip-adapter file: `image_proj.*` (the Resampler: latents, proj_in,
// layers.N.0 = PerceiverAttention {norm1, norm2, to_q, to_kv, to_out}, layers.N.1 = FeedForward
// {0 LayerNorm, 1 Linear, 3 Linear}, proj_out, norm_out) and `ip_adapter.<n>.to_{k,v}_ip.weight`, where n is the
// layer's index among all the UNet's attention layers in diffusers' order (odd for SD: attn1 takes the evens).

#include <torch/nn/module.h>
#include <torch/nn/modules/container/moduledict.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "diffusion/attention.h"

namespace wf::diffusion {

class UNet2DConditionModelImpl;

struct ResamplerConfig {  // InstantID's values, with the output width of SD 1.5's cross-attention
  int64_t dim = 1280, depth = 4, dim_head = 64, heads = 20, num_queries = 16;
  int64_t embedding_dim = 512;  // ArcFace
  int64_t output_dim = 768;
  int64_t ff_mult = 4;
};

// Learned queries attend to [embedding tokens, queries] (a Perceiver resampler).
class PerceiverAttentionImpl : public torch::nn::Module {
 public:
  PerceiverAttentionImpl(int64_t dim, int64_t dim_head, int64_t heads);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& latents);

 private:
  int64_t heads_;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Linear to_q{nullptr}, to_kv{nullptr}, to_out{nullptr};
};
TORCH_MODULE(PerceiverAttention);

class ResamplerImpl : public torch::nn::Module {
 public:
  explicit ResamplerImpl(const ResamplerConfig& config = {});
  // [B, embedding_dim] or [B, T, embedding_dim] -> [B, num_queries, output_dim]
  at::Tensor forward(const at::Tensor& embeddings);

 private:
  at::Tensor latents;
  torch::nn::Linear proj_in{nullptr}, proj_out{nullptr};
  torch::nn::LayerNorm norm_out{nullptr};
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Resampler);

// The processor of one cross-attention layer: the context's last `num_tokens` tokens are identity tokens.
class IPAttnProcessor final : public AttentionProcessor {
 public:
  IPAttnProcessor(int64_t cross_attention_dim, int64_t hidden_size, int64_t num_tokens);
  at::Tensor forward(AttentionImpl& attention, const at::Tensor& hidden, const at::Tensor& context) override;

  double scale = 1.0;
  torch::nn::Linear to_k_ip{nullptr}, to_v_ip{nullptr};

 private:
  int64_t num_tokens_;
};

class IPAdapterImpl : public torch::nn::Module {
 public:
  // Builds the Resampler and one processor per cross-attention layer of `unet`, and attaches them.
  IPAdapterImpl(UNet2DConditionModelImpl& unet, const ResamplerConfig& config = {});
  // Face embeddings [B, embedding_dim] -> identity tokens [B, num_queries, cross_attention_dim].
  at::Tensor image_tokens(const at::Tensor& embeddings);
  // The UNet's context: text [B, 77, C] followed by the identity tokens.
  at::Tensor context(const at::Tensor& text, const at::Tensor& tokens) const;
  void set_scale(double scale);
  const ResamplerConfig& config() const { return config_; }

 private:
  ResamplerConfig config_;
  Resampler image_proj{nullptr};
  torch::nn::ModuleDict ip_adapter{nullptr};
  std::vector<std::shared_ptr<IPAttnProcessor>> processors_;
};
TORCH_MODULE(IPAdapter);

}  // namespace wf::diffusion
