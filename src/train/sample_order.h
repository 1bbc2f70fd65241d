#pragma once
// Which samples a micro-batch takes. Sample k of a run is entry k % n of epoch k / n's shuffle, and each
// epoch's shuffle is seeded from (seed, epoch) alone, so any step's batch follows from its position: what
// exact resume needs.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wf::train {

class SampleOrder {
 public:
  SampleOrder(std::size_t samples, std::uint64_t seed);
  // The indices of samples first .. first + count - 1 of the run.
  std::vector<std::size_t> batch(std::int64_t first, std::int64_t count);

 private:
  const std::vector<std::size_t>& epoch_order(std::int64_t epoch);

  std::size_t samples_;
  std::uint64_t seed_;
  std::vector<std::size_t> order_;
  std::int64_t epoch_ = -1;
};

}  // namespace wf::train
