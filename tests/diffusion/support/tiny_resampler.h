#pragma once
// The Perceiver resampler the diffusion tests build: InstantID's shape at a fraction of its size, for the tiny
// UNet's 32-wide cross-attention and 16-wide face embeddings.

#include "diffusion/ip_adapter.h"

namespace wf::test {

inline diffusion::ResamplerConfig tiny_resampler_config(int64_t depth = 2) {
  return {.dim = 32,
          .depth = depth,
          .dim_head = 8,
          .heads = 4,
          .num_queries = 4,
          .embedding_dim = 16,
          .output_dim = 32,
          .ff_mult = 2};
}

}  // namespace wf::test
