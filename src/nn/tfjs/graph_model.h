#pragma once
// A TensorFlow.js graph model (model.json + weight shards) as data: model.json's nodes and signature
// (nn/tfjs/model_json.h) and the constants decoded to libtorch tensors (float16- and uint8-quantized
// weights dequantized to float32).

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "nn/tfjs/model_json.h"

namespace wf::nn::tfjs {

struct GraphModel {
  std::filesystem::path path;
  std::vector<Node> nodes;  // in execution order (inputs before users)
  std::map<std::string, at::Tensor> constants;
  std::vector<std::string> input_names;        // Placeholder nodes
  std::vector<std::string> output_names;       // the signature's output keys, else nodes nobody consumes
  std::map<std::string, std::string> aliases;  // signature key ("output_mesh") -> tensor ("Identity_2:0")

  // The tensor a name refers to: a signature key or a "node[:k]" name.
  const std::string& resolve(const std::string& name) const;

  // The shape the first Placeholder declares, its unknown (batch) dimensions as 1; empty when it declares none.
  std::vector<std::int64_t> input_shape() const;

  // Throws wf::Error naming the file: not_found, corrupt_file (bad JSON, short shard, a node that
  // names a missing input, a cycle) or unsupported (a quantization or dtype it cannot decode).
  static GraphModel load(const std::filesystem::path& model_json);
};

}  // namespace wf::nn::tfjs
