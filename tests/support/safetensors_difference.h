#pragma once
// How far two safetensors files of the same tensors are apart: the largest absolute difference of any element.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/state_dict.h"

namespace wf::test {

inline double largest_difference(const std::filesystem::path& a, const std::filesystem::path& b) {
  const auto x = core::load_safetensors(a), y = core::load_safetensors(b);
  EXPECT_EQ(x.size(), y.size());
  double worst = 0;
  for (const auto& [name, tensor] : x) {
    if (!y.count(name)) continue;
    worst = std::max(worst, (tensor.to(at::kFloat) - y.at(name).to(at::kFloat)).abs().max().template item<double>());
  }
  return worst;
}

}  // namespace wf::test
