#include "train/sample_order.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "train/train_loop.h"

namespace wf::train {

SampleOrder::SampleOrder(std::size_t samples, std::uint64_t seed) : samples_(samples), seed_(seed) {}

std::vector<std::size_t> SampleOrder::batch(std::int64_t first, std::int64_t count) {
  const auto n = static_cast<std::int64_t>(samples_);
  std::vector<std::size_t> indices;
  for (std::int64_t k = first; k < first + count; ++k) indices.push_back(epoch_order(k / n)[static_cast<std::size_t>(k % n)]);
  return indices;
}

const std::vector<std::size_t>& SampleOrder::epoch_order(std::int64_t epoch) {
  if (epoch != epoch_) {
    order_.resize(samples_);
    std::iota(order_.begin(), order_.end(), 0);
    std::mt19937_64 rng(step_seed(seed_, -1 - epoch, 0));
    std::shuffle(order_.begin(), order_.end(), rng);
    epoch_ = epoch;
  }
  return order_;
}

}  // namespace wf::train
