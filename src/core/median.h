#pragma once
// The median of a set of numbers, reordering them in place (nth_element, no sort); 0 for an empty set.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace wf::core {

template <class T>
T median_in_place(std::vector<T>& values) {
  if (values.empty()) return T{};
  const std::size_t half = values.size() / 2;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(half);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return (*middle + *std::max_element(values.begin(), middle)) / 2;
}

}  // namespace wf::core
