#pragma once
// The dtype a chosen precision computes in: bf16 or fp16 on CUDA, fp32 otherwise (on the CPU always, since
// libtorch has no fast CPU half-precision matmul).

#include <c10/core/ScalarType.h>

#include "core/config.h"

namespace wf::core {

inline c10::ScalarType compute_dtype(Precision precision, bool cuda) {
  if (cuda && precision == Precision::bf16) return c10::ScalarType::BFloat16;
  if (cuda && precision == Precision::fp16) return c10::ScalarType::Half;
  return c10::ScalarType::Float;
}

}  // namespace wf::core
