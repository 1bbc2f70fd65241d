#include "nn/tfjs/attributes.h"

#include "core/error.h"

namespace wf::nn::tfjs {
namespace {

const nlohmann::json* find(const Node& node, const char* key) {
  const auto it = node.attr.find(key);
  return it == node.attr.end() ? nullptr : &*it;
}

std::int64_t to_int(const nlohmann::json& value) {
  return value.is_string() ? std::stoll(value.get<std::string>()) : value.get<std::int64_t>();
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
  const auto* value = find(node, key);
  if (!value || !value->contains("s")) return fallback;
  return base64_decode(value->at("s").get<std::string>());
}

std::vector<std::string> attr_strings(const Node& node, const char* key) {
  std::vector<std::string> out;
  const auto* value = find(node, key);
  if (!value || !value->contains("list") || !value->at("list").contains("s")) return out;
  for (const auto& item : value->at("list").at("s")) out.push_back(base64_decode(item.get<std::string>()));
  return out;
}

std::vector<std::int64_t> attr_ints(const Node& node, const char* key, std::vector<std::int64_t> fallback) {
  const auto* value = find(node, key);
  if (!value || !value->contains("list") || !value->at("list").contains("i")) return fallback;
  std::vector<std::int64_t> out;
  for (const auto& item : value->at("list").at("i")) out.push_back(to_int(item));
  return out;
}

std::int64_t attr_int(const Node& node, const char* key, std::int64_t fallback) {
  const auto* value = find(node, key);
  return value && value->contains("i") ? to_int(value->at("i")) : fallback;
}

bool attr_bool(const Node& node, const char* key, bool fallback) {
  const auto* value = find(node, key);
  return value && value->contains("b") ? value->at("b").get<bool>() : fallback;
}

double attr_float(const Node& node, const char* key, double fallback) {
  const auto* value = find(node, key);
  return value && value->contains("f") ? value->at("f").get<double>() : fallback;
}

}  // namespace wf::nn::tfjs
