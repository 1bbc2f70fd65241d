// A TensorFlow.js model.json as the face models ship it (or as a user replaces one): parsed and checked, then
// every attribute of every node read as each type the ops ask for. Only wf::Error may come out, and what
// parses must be safe to decode: weights laid end to end inside their group, nodes after their inputs.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "core/error.h"
#include "nn/tfjs/attributes.h"
#include "nn/tfjs/model_json.h"

namespace {

template <typename Read>
void read_attribute(Read read) {
  try {
    read();
  } catch (const wf::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wf::nn::tfjs;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ModelJson model;
  try {
    model = parse_model_json(text, "model.json");
  } catch (const wf::Error&) {
    return 0;
  }
  for (const auto& group : model.groups) {
    std::size_t end = 0;
    for (const auto& weight : group.weights) {
      if (weight.offset != end || weight.count < 0) __builtin_trap();
      end += weight.bytes;
    }
    if (end != group.bytes) __builtin_trap();
  }
  std::set<std::string> seen;
  for (const auto& node : model.nodes) {
    for (const auto& input : node.inputs) {
      if (!seen.count(split_tensor_name(input).first)) __builtin_trap();
    }
    seen.insert(node.name);
    for (const auto& item : node.attr.items()) {
      const std::string key = item.key();
      read_attribute([&] { attr_string(node, key.c_str()); });
      read_attribute([&] { attr_strings(node, key.c_str()); });
      read_attribute([&] { attr_ints(node, key.c_str()); });
      read_attribute([&] { attr_int(node, key.c_str(), 0); });
      read_attribute([&] { attr_bool(node, key.c_str()); });
      read_attribute([&] { attr_float(node, key.c_str(), 0); });
    }
  }
  return 0;
}
