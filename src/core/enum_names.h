#pragma once
// One table per enum gives both directions of its text form, so CLI flags, JSON and HTTP spell values
// the same way and a parse error lists exactly the accepted names.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace wf::core {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

template <typename E, std::size_t N>
constexpr std::string_view enum_to_string(const std::array<EnumName<E>, N>& names, E value) {
  for (const auto& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
constexpr std::optional<E> enum_from_string(const std::array<EnumName<E>, N>& names, std::string_view text) {
  for (const auto& entry : names) {
    if (entry.name == text) return entry.value;
  }
  return std::nullopt;
}

// Throws wf::Error(invalid_input): "unknown <what> 'x'", hint "use a, b or c".
template <typename E, std::size_t N>
E parse_enum(const std::array<EnumName<E>, N>& names, std::string_view text, std::string_view what) {
  if (const auto value = enum_from_string(names, text)) return *value;
  std::string choices;
  for (std::size_t i = 0; i < N; ++i) {
    choices += std::string(i == 0 ? "" : (i + 1 == N ? " or " : ", ")) + std::string(names[i].name);
  }
  throw Error(ErrorCode::invalid_input, "unknown " + std::string(what) + " '" + std::string(text) + "'", {},
              "use " + choices);
}

}  // namespace wf::core
