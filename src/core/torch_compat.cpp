#include "core/torch_compat.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>
#include <torch/version.h>

#if WF_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/cuda.h>
#endif

namespace wf::core {

at::Tensor scaled_dot_product_attention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
                                        const std::optional<at::Tensor>& attn_mask, double dropout_p, bool is_causal) {
  const c10::optional<at::Tensor> mask = attn_mask ? c10::optional<at::Tensor>(*attn_mask) : c10::nullopt;
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(query, key, value, mask, dropout_p, is_causal);
#else
  // 1.13 has only the private op; its math path equals the public formula (tests check it against that).
  if (!attn_mask && dropout_p == 0.0) return sliced_attention(query, key, value, is_causal, kAttentionSliceScores);
  return std::get<0>(at::_scaled_dot_product_attention(query, key, value, mask, dropout_p, false, is_causal));
#endif
}

at::Tensor sliced_attention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value, bool is_causal,
                            int64_t max_scores) {
  auto math = [&](const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) * scale;
    if (is_causal) {
      const auto options = scores.options().dtype(at::kBool);
      scores = scores.masked_fill(at::ones({q.size(-2), k.size(-2)}, options).triu(1), -std::numeric_limits<double>::infinity());
    }
    return at::matmul(at::softmax(scores, -1), v);
  };
  const int64_t lq = query.size(-2), lk = key.size(-2);
  const int64_t groups = query.numel() / std::max<int64_t>(lq * query.size(-1), 1);
  const bool same_leading = query.dim() == key.dim() && key.numel() == groups * lk * key.size(-1) &&
                            value.numel() == groups * lk * value.size(-1);
  if (groups * lq * lk <= max_scores || !same_leading) return math(query, key, value);
  const at::Tensor q = query.reshape({groups, lq, query.size(-1)});
  const at::Tensor k = key.reshape({groups, lk, key.size(-1)});
  const at::Tensor v = value.reshape({groups, lk, value.size(-1)});
  const int64_t per_slice = std::max<int64_t>(max_scores / (lq * lk), 1);
  const int64_t rows = is_causal || lq * lk <= max_scores ? lq : std::max<int64_t>(max_scores / lk, 1);
  std::vector<at::Tensor> parts;
  for (int64_t g = 0; g < groups; g += per_slice) {
    const int64_t g_end = std::min(g + per_slice, groups);
    std::vector<at::Tensor> row_parts;
    for (int64_t r = 0; r < lq; r += rows) {
      row_parts.push_back(math(q.slice(0, g, g_end).slice(1, r, std::min(r + rows, lq)), k.slice(0, g, g_end), v.slice(0, g, g_end)));
    }
    parts.push_back(row_parts.size() == 1 ? row_parts.front() : at::cat(row_parts, 1));
  }
  std::vector<int64_t> shape(query.sizes().begin(), query.sizes().end());
  shape.back() = value.size(-1);
  return at::cat(parts, 0).view(shape);
}

bool cuda_supports_bf16() {
#if WF_TORCH_CUDA
  return torch::cuda::is_available() && at::cuda::getDeviceProperties(0)->major >= 8;
#else
  return false;  // a CPU-only libtorch (Debian's 1.13)
#endif
}

CudaAutocast::CudaAutocast(bool enabled, at::ScalarType dtype) : enabled_(enabled) {
  if (!enabled_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  was_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
  previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  was_enabled_ = at::autocast::is_enabled();
  previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
  at::autocast::set_enabled(true);
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
  at::autocast::increment_nesting();
}

CudaAutocast::~CudaAutocast() {
  if (!enabled_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCUDA, was_enabled_);
  at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
#else
  at::autocast::set_enabled(was_enabled_);
  at::autocast::set_autocast_gpu_dtype(previous_dtype_);
#endif
}

void release_cached_cuda_memory() {
#if WF_TORCH_CUDA
  c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

namespace {

template <typename Key>
Key state_key(c10::TensorImpl* impl) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;  // what libtorch 1.13 writes through c10::guts::to_string
    text << impl;
    return text.str();
  } else {
    return static_cast<Key>(impl);
  }
}

}  // namespace

OptimizerStateKey optimizer_state_key(const at::Tensor& parameter) {
  return state_key<OptimizerStateKey>(parameter.unsafeGetTensorImpl());
}

}  // namespace wf::core
