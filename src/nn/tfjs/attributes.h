#pragma once
// Typed access to a tfjs node's attributes (strings are base64 in model.json, integers are strings).
// A value of the wrong type throws wf::Error(corrupt_file) naming the node and the attribute.

#include <cstdint>
#include <string>
#include <vector>

#include "nn/tfjs/model_json.h"

namespace wf::nn::tfjs {

std::string attr_string(const Node& node, const char* key, const std::string& fallback = "");
std::vector<std::string> attr_strings(const Node& node, const char* key);
std::vector<std::int64_t> attr_ints(const Node& node, const char* key, std::vector<std::int64_t> fallback = {});
std::int64_t attr_int(const Node& node, const char* key, std::int64_t fallback);
bool attr_bool(const Node& node, const char* key, bool fallback = false);
double attr_float(const Node& node, const char* key, double fallback);

std::string base64_decode(const std::string& text);

}  // namespace wf::nn::tfjs
