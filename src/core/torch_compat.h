#pragma once
// The one place where libtorch 1.13 (Debian) and 2.x (CUDA builds of PyTorch) differ for us.

#include <ATen/core/Tensor.h>

#include <optional>
#include <torch/optim/optimizer.h>
#include <type_traits>
#include <string>

namespace wf::core {

// softmax(q k^T / sqrt(d) + mask) v over the last two dims; q, k, v are [..., seq, dim].
// libtorch 2.x: the public fused kernel (flash / memory-efficient); 1.13: the math path, in slices of at most
// kAttentionSliceScores scores when there is no mask (a 512x512 SD image would otherwise hold 1 GiB of scores
// per attention call).
at::Tensor scaled_dot_product_attention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
                                        const std::optional<at::Tensor>& attn_mask = std::nullopt,
                                        double dropout_p = 0.0, bool is_causal = false);

inline constexpr int64_t kAttentionSliceScores = int64_t{1} << 25;  // 128 MiB of fp32 scores
// The 1.13 fallback itself: the math path over slices of the batch and head dimensions (and of the query rows
// when not causal), each holding at most `max_scores` scores. Exposed for tests on every libtorch version.
at::Tensor sliced_attention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value, bool is_causal,
                            int64_t max_scores);

// Whether CUDA device 0 computes in bf16 (compute capability 8.0 and newer).
bool cuda_supports_bf16();

// CUDA autocast to `dtype` (kHalf or kBFloat16) for the guard's lifetime; does nothing when `enabled` is
// false. The autocast API moved between 1.13 and 2.4.
class CudaAutocast {
 public:
  CudaAutocast(bool enabled, at::ScalarType dtype);
  ~CudaAutocast();
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool enabled_;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kHalf;
};

// Returns cached, unused CUDA memory to the driver (after an out-of-memory probe); no-op without CUDA.
void release_cached_cuda_memory();

// The key libtorch's optimizers file a parameter's state under: the TensorImpl address printed as a string
// in 1.13, the address itself in later 2.x releases.
using OptimizerStateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
OptimizerStateKey optimizer_state_key(const at::Tensor& parameter);

}  // namespace wf::core
