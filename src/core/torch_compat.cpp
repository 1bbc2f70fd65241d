#include "core/torch_compat.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <sstream>
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
  return std::get<0>(at::_scaled_dot_product_attention(query, key, value, mask, dropout_p, false, is_causal));
#endif
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
