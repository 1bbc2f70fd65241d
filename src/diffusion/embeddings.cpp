#include "diffusion/embeddings.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>

#include <cmath>

#include "core/error.h"

namespace wf::diffusion {

at::Tensor timestep_embedding(const at::Tensor& timesteps, int64_t dim, bool flip_sin_to_cos, double freq_shift) {
  const int64_t half = dim / 2;
  const at::Tensor exponent = at::arange(half, timesteps.options().dtype(at::kFloat)) *
                              (-std::log(10000.0) / (static_cast<double>(half) - freq_shift));
  const at::Tensor angles = timesteps.to(at::kFloat).unsqueeze(1) * at::exp(exponent).unsqueeze(0);
  at::Tensor out = flip_sin_to_cos ? at::cat({at::cos(angles), at::sin(angles)}, 1)
                                   : at::cat({at::sin(angles), at::cos(angles)}, 1);
  if (dim % 2 == 1) out = at::constant_pad_nd(out, {0, 1});
  return out;
}

at::Tensor broadcast_timesteps(const at::Tensor& timestep, int64_t batch, const at::Device& device) {
  at::Tensor t = timestep.to(device).flatten();
  if (t.numel() == 1) return t.expand({batch});
  if (t.numel() != batch) {
    throw Error(ErrorCode::invalid_input, "got " + std::to_string(t.numel()) + " timesteps for a batch of " +
                                              std::to_string(batch));
  }
  return t;
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t in, int64_t out) {
  linear_1 = register_module("linear_1", torch::nn::Linear(in, out));
  linear_2 = register_module("linear_2", torch::nn::Linear(out, out));
}

at::Tensor TimestepEmbeddingImpl::forward(const at::Tensor& x) {
  return linear_2->forward(torch::nn::functional::silu(linear_1->forward(x)));
}

}  // namespace wf::diffusion
