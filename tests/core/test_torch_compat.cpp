#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/torch_compat.h"

namespace wf::core {
namespace {

torch::Tensor reference_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias) {
  const auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1))) + bias;
  return torch::matmul(torch::softmax(scores, -1), v);
}

TEST(TorchCompat, AttentionMatchesTheFormula) {
  torch::manual_seed(0);
  const auto q = torch::randn({2, 4, 7, 16});
  const auto k = torch::randn({2, 4, 9, 16});
  const auto v = torch::randn({2, 4, 9, 16});
  const auto out = scaled_dot_product_attention(q, k, v);
  EXPECT_EQ(out.sizes(), q.sizes());
  EXPECT_TRUE(torch::allclose(out, reference_attention(q, k, v, torch::zeros({1})), 1e-5, 1e-5));
}

TEST(TorchCompat, AttentionAddsAFloatMaskAndHonoursCausal) {
  torch::manual_seed(1);
  const auto q = torch::randn({1, 2, 5, 8});
  const auto k = torch::randn({1, 2, 5, 8});
  const auto v = torch::randn({1, 2, 5, 8});
  const auto mask = torch::randn({1, 1, 5, 5});
  EXPECT_TRUE(torch::allclose(scaled_dot_product_attention(q, k, v, mask), reference_attention(q, k, v, mask), 1e-5,
                              1e-5));
  const auto causal_bias = torch::full({5, 5}, -std::numeric_limits<float>::infinity()).triu(1);
  EXPECT_TRUE(torch::allclose(scaled_dot_product_attention(q, k, v, std::nullopt, 0.0, true),
                              reference_attention(q, k, v, causal_bias), 1e-5, 1e-5));
}

TEST(TorchCompat, SlicedAttentionEqualsTheWholeComputation) {
  torch::manual_seed(2);
  const auto q = torch::randn({2, 3, 40, 8}, torch::requires_grad());
  const auto k = torch::randn({2, 3, 40, 8});
  const auto v = torch::randn({2, 3, 40, 6});
  const auto whole = reference_attention(q, k, v, torch::zeros({1}));
  // 40x40 scores per head: 2000 allows one head at a time; 500 also splits each head's query rows.
  for (const int64_t budget : {int64_t{2000}, int64_t{500}, int64_t{1} << 20}) {
    const auto sliced = sliced_attention(q, k, v, false, budget);
    EXPECT_EQ(sliced.sizes(), (std::vector<int64_t>{2, 3, 40, 6}));
    EXPECT_TRUE(torch::allclose(sliced, whole, 1e-5, 1e-5)) << budget;
  }
  const auto causal_bias = torch::full({40, 40}, -std::numeric_limits<float>::infinity()).triu(1);
  EXPECT_TRUE(torch::allclose(sliced_attention(q, k, v, true, 500), reference_attention(q, k, v, causal_bias), 1e-5, 1e-5));
  sliced_attention(q, k, v, false, 500).sum().backward();
  ASSERT_TRUE(q.grad().defined());
}

TEST(TorchCompat, AttentionCarriesGradients) {
  const auto q = torch::randn({1, 1, 3, 4}, torch::requires_grad());
  const auto k = torch::randn({1, 1, 3, 4});
  const auto v = torch::randn({1, 1, 3, 4});
  scaled_dot_product_attention(q, k, v).sum().backward();
  ASSERT_TRUE(q.grad().defined());
  EXPECT_TRUE(torch::isfinite(q.grad()).all().item<bool>());
}

}  // namespace
}  // namespace wf::core
