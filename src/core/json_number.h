#pragma once
// Numbers read from JSON a user hands WatserFace (telemetry, dataset lines). nlohmann's get<int>() truncates 2.5
// and is undefined past int's range, get<float>() past float's; these refuse both with wf::Error(corrupt_file)
// naming what was read.

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"

namespace wf::core {

template <typename T>
T json_number(const nlohmann::json& value, const std::string& what) {
  auto refuse = [&] {
    return Error(ErrorCode::corrupt_file,
                 what + " is " + value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ", not " +
                     (std::is_integral_v<T> ? "an integer" : "a number") + " in range");
  };
  if constexpr (std::is_integral_v<T>) {
    if (!value.is_number_integer()) throw refuse();
    if (value.is_number_unsigned()) {
      const auto u = value.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) throw refuse();
      return static_cast<T>(u);
    }
    const auto i = value.get<std::int64_t>();
    if (i < static_cast<std::int64_t>(std::numeric_limits<T>::lowest()) ||
        (i > 0 && static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))) {
      throw refuse();
    }
    return static_cast<T>(i);
  } else {
    if (!value.is_number()) throw refuse();
    const double d = value.get<double>();
    if (!std::isfinite(d) || std::abs(d) > static_cast<double>(std::numeric_limits<T>::max())) throw refuse();
    return static_cast<T>(d);
  }
}

template <typename T>
std::vector<T> json_numbers(const nlohmann::json& value, const std::string& what) {
  if (!value.is_array()) throw Error(ErrorCode::corrupt_file, what + " is not a list of numbers");
  std::vector<T> out;
  out.reserve(value.size());
  for (const auto& item : value) out.push_back(json_number<T>(item, what));
  return out;
}

}  // namespace wf::core
