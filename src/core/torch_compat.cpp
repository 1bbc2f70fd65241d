#include "core/torch_compat.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#if WF_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
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

}  // namespace wf::core
