#include "nn/tfjs/attributes.h"

#include <stdexcept>

#include "core/error.h"

namespace wf::nn::tfjs {
namespace {

const nlohmann::json* find(const Node& node, const char* key) {
  const auto it = node.attr.find(key);
  return it == node.attr.end() ? nullptr : &*it;
}

Error malformed(const Node& node, const char* key) {
  return Error(ErrorCode::corrupt_file,
               "invalid TensorFlow.js model: node '" + node.name + "' has a malformed attribute '" + key + "'", {},
               "reinstall the model package (scripts/setup) or replace the file");
}

// The attribute's `field` ("i", "s", "list"...) read by `read`, or `fallback` when it is absent.
template <typename T, typename Read>
T field(const Node& node, const char* key, const char* name, T fallback, Read read) {
  const auto* value = find(node, key);
  if (!value) return fallback;
  try {
    const auto it = value->find(name);
    return it == value->end() ? fallback : read(*it);
  } catch (const nlohmann::json::exception&) {
    throw malformed(node, key);
  } catch (const std::logic_error&) {  // std::stoll: not a number, or out of range
    throw malformed(node, key);
  }
}

std::int64_t to_int(const nlohmann::json& value) {
  if (!value.is_string()) return value.get<std::int64_t>();
  const std::string text = value.get<std::string>();
  std::size_t used = 0;
  const std::int64_t number = std::stoll(text, &used);
  if (used != text.size()) throw std::invalid_argument(text);
  return number;
}

}  // namespace

std::string base64_decode(const std::string& text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = value_of(c);
    if (value < 0) continue;  // '=' padding
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string attr_string(const Node& node, const char* key, const std::string& fallback) {
  return field(node, key, "s", fallback, [](const nlohmann::json& s) { return base64_decode(s.get<std::string>()); });
}

std::vector<std::string> attr_strings(const Node& node, const char* key) {
  return field(node, key, "list", std::vector<std::string>{}, [](const nlohmann::json& list) {
    std::vector<std::string> out;
    for (const auto& item : list.value("s", nlohmann::json::array()))
      out.push_back(base64_decode(item.get<std::string>()));
    return out;
  });
}

std::vector<std::int64_t> attr_ints(const Node& node, const char* key, std::vector<std::int64_t> fallback) {
  return field(node, key, "list", fallback, [&](const nlohmann::json& list) {
    if (!list.contains("i")) return fallback;
    std::vector<std::int64_t> out;
    for (const auto& item : list.at("i")) out.push_back(to_int(item));
    return out;
  });
}

std::int64_t attr_int(const Node& node, const char* key, std::int64_t fallback) {
  return field(node, key, "i", fallback, to_int);
}

bool attr_bool(const Node& node, const char* key, bool fallback) {
  return field(node, key, "b", fallback, [](const nlohmann::json& b) { return b.get<bool>(); });
}

double attr_float(const Node& node, const char* key, double fallback) {
  return field(node, key, "f", fallback, [](const nlohmann::json& f) { return f.get<double>(); });
}

}  // namespace wf::nn::tfjs
