#pragma once
// diffusers' models/embeddings.py: the sinusoidal timestep projection (Timesteps) and the MLP after it
// (TimestepEmbedding: linear_1 -> SiLU -> linear_2).

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace wf::diffusion {

// [B] timesteps -> [B, dim] fp32: sin and cos of t * 10000^(-i / (dim/2 - shift)), cos first when `flip_sin_to_cos`.
at::Tensor timestep_embedding(const at::Tensor& timesteps, int64_t dim, bool flip_sin_to_cos, double freq_shift);

// A scalar or [1] timestep repeated for a batch of `batch`, or a [batch] tensor as it is (as long integers or
// floats both work, as in diffusers).
at::Tensor broadcast_timesteps(const at::Tensor& timestep, int64_t batch, const at::Device& device);

class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(int64_t in, int64_t out);
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Linear linear_1{nullptr}, linear_2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

}  // namespace wf::diffusion
