#pragma once
// A TensorFlow.js graph model's model.json, parsed and checked without libtorch (so it can be fuzzed):
// the nodes in execution order, the weight manifest with each weight's place in its group's shards,
// and the signature. Every check that guards later memory access happens here: dtypes, shapes whose
// byte sizes cannot overflow, shard paths that stay beside model.json, inputs that exist, no cycles.
// Format: https://www.tensorflow.org/js/guide/save_load (graph-model, tfjs-converter output).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wf::nn::tfjs {

struct Node {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;  // "node" or "node:k"; control inputs ("^node") are dropped
  nlohmann::json attr;              // the node's attributes as tfjs-converter wrote them
};

struct WeightSpec {
  std::string name;
  std::string dtype;   // what the graph sees: float32, int32 or bool
  std::string stored;  // what the shards hold: the dtype, or float16 / uint8 / uint16 when quantized
  std::vector<std::int64_t> shape;
  std::int64_t count = 0;  // elements
  std::size_t offset = 0;  // bytes into the group's shards, concatenated in order
  std::size_t bytes = 0;
  bool affine = false;  // uint8 / uint16 quantization: value = min + scale * q
  double scale = 1, min = 0;
};

struct WeightGroup {
  std::vector<std::string> paths;  // shard files, relative to model.json's folder
  std::vector<WeightSpec> weights;
  std::size_t bytes = 0;  // what the weights need of the shards
};

struct ModelJson {
  std::vector<Node> nodes;  // in execution order (inputs before users)
  std::vector<WeightGroup> groups;
  std::vector<std::string> input_names;        // Placeholder nodes
  std::vector<std::string> output_names;       // the signature's output keys, else nodes nobody consumes
  std::map<std::string, std::string> aliases;  // signature key ("output_mesh") -> tensor ("Identity_2:0")
};

// Throws wf::Error naming `path`: corrupt_file (bad JSON, a node that names a missing input, a cycle, a shard
// path leaving the folder, a size that overflows) or unsupported (a quantization or dtype it cannot decode).
ModelJson parse_model_json(std::string_view text, const std::filesystem::path& path);

// "name:0" and "name" both name output 0 of node "name".
std::pair<std::string, int> split_tensor_name(const std::string& name);

}  // namespace wf::nn::tfjs
