#include "nn/tfjs/model_json.h"

#include <charconv>
#include <deque>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/json_io.h"

namespace wf::nn::tfjs {
namespace {

// No real model comes near this; it keeps every size product far from overflowing.
constexpr std::int64_t kMaxWeightBytes = std::int64_t{1} << 40;

Error corrupt(const std::filesystem::path& path, const std::string& what) {
  return Error(ErrorCode::corrupt_file, "invalid TensorFlow.js model: " + what, path,
               "reinstall the model package (scripts/setup) or replace the file");
}

std::size_t element_size(const std::string& dtype) {
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "float16" || dtype == "uint16") return 2;
  if (dtype == "uint8" || dtype == "bool") return 1;
  return 0;
}

WeightSpec weight_spec(const nlohmann::json& entry, std::size_t offset, const std::filesystem::path& path) {
  WeightSpec spec;
  spec.name = entry.at("name").get<std::string>();
  spec.dtype = entry.at("dtype").get<std::string>();
  spec.shape = entry.at("shape").get<std::vector<std::int64_t>>();
  const auto quantization = entry.find("quantization");
  const bool quantized = quantization != entry.end();
  spec.stored = quantized ? quantization->at("dtype").get<std::string>() : spec.dtype;
  const std::size_t size = element_size(spec.stored);
  const bool decodable =
      quantized ? spec.stored == "float16" || spec.stored == "uint8" || spec.stored == "uint16" : size != 0;
  if (!decodable || (spec.dtype != "float32" && spec.dtype != "int32" && spec.dtype != "bool")) {
    throw Error(ErrorCode::unsupported,
                "weight '" + spec.name + "' uses dtype " + spec.stored + ", which the executor cannot read", path,
                "use a float32, float16 or uint8 quantized export of the model");
  }
  spec.count = 1;
  for (const auto dim : spec.shape) {
    if (dim < 0) throw corrupt(path, "weight '" + spec.name + "' has a negative dimension");
    if (dim > 0 && spec.count > kMaxWeightBytes / dim) throw corrupt(path, "weight '" + spec.name + "' is too large");
    spec.count *= dim;
  }
  if (spec.count > kMaxWeightBytes / static_cast<std::int64_t>(size)) {
    throw corrupt(path, "weight '" + spec.name + "' is too large");
  }
  spec.bytes = static_cast<std::size_t>(spec.count) * size;
  spec.offset = offset;
  spec.affine = quantized && spec.stored != "float16";
  if (spec.affine) {
    spec.scale = quantization->at("scale").get<double>();
    spec.min = quantization->at("min").get<double>();
  }
  return spec;
}

// Shards are files beside model.json (tfjs-converter writes "group1-shard1of2.bin"); nothing may reach outside.
std::string shard_path(const nlohmann::json& entry, const std::filesystem::path& path) {
  const std::string name = entry.get<std::string>();
  const std::filesystem::path relative(name);
  bool inside = !name.empty() && relative.is_relative() && name.find('\0') == std::string::npos;
  for (const auto& part : relative) inside = inside && part != "..";
  if (!inside) throw corrupt(path, "weight shard path '" + name + "' leaves the model's folder");
  return name;
}

// Orders nodes so every node follows its inputs (Kahn's algorithm, stable in file order).
std::vector<Node> execution_order(std::vector<Node> nodes, const std::filesystem::path& path) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!index.emplace(nodes[i].name, i).second) throw corrupt(path, "node '" + nodes[i].name + "' is defined twice");
  }
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<std::size_t>> users(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& input : nodes[i].inputs) {
      const auto it = index.find(split_tensor_name(input).first);
      if (it == index.end()) {
        throw corrupt(path, "node '" + nodes[i].name + "' reads '" + input + "', which no node produces");
      }
      ++pending[i];
      users[it->second].push_back(i);
    }
  }
  std::deque<std::size_t> ready;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  std::vector<Node> ordered;
  while (!ready.empty()) {
    const std::size_t i = ready.front();
    ready.pop_front();
    for (std::size_t user : users[i]) {
      if (--pending[user] == 0) ready.push_back(user);
    }
    ordered.push_back(std::move(nodes[i]));
  }
  if (ordered.size() != nodes.size()) throw corrupt(path, "the graph has a cycle");
  return ordered;
}

void read_signature(const nlohmann::json& root, ModelJson& model) {
  const auto signature = root.find("signature");
  if (signature != root.end()) {
    for (const char* side : {"inputs", "outputs"}) {
      const nlohmann::json entries = signature->value(side, nlohmann::json::object());
      for (const auto& [key, entry] : entries.items()) model.aliases[key] = entry.value("name", key);
    }
  }
  if (signature != root.end() && signature->contains("outputs") && !signature->at("outputs").empty()) {
    for (const auto& [key, output] : signature->at("outputs").items()) model.output_names.push_back(key);
    return;
  }
  std::set<std::string> consumed;
  for (const auto& node : model.nodes) {
    for (const auto& input : node.inputs) consumed.insert(split_tensor_name(input).first);
  }
  for (const auto& node : model.nodes) {
    if (!consumed.count(node.name) && node.op != "Const") model.output_names.push_back(node.name);
  }
}

}  // namespace

std::pair<std::string, int> split_tensor_name(const std::string& name) {
  const auto colon = name.rfind(':');
  if (colon == std::string::npos || colon + 1 == name.size()) return {name, 0};
  int output = 0;
  const char* first = name.data() + colon + 1;
  const char* last = name.data() + name.size();
  const auto [end, error] = std::from_chars(first, last, output);
  if (error != std::errc() || end != last || *first == '-' || *first == '+') return {name, 0};
  return {name.substr(0, colon), output};
}

ModelJson parse_model_json(std::string_view text, const std::filesystem::path& path) {
  const nlohmann::json root = core::parse_json_text(text, path);
  ModelJson model;
  try {
    std::vector<Node> nodes;
    for (const auto& item : root.at("modelTopology").at("node")) {
      Node node{item.at("name"), item.at("op"), {}, item.value("attr", nlohmann::json::object())};
      if (!node.attr.is_object()) throw corrupt(path, "node '" + node.name + "' has attributes that are not an object");
      for (const auto& input : item.value("input", nlohmann::json::array())) {
        const std::string name = input.get<std::string>();
        if (!name.empty() && name[0] != '^') node.inputs.push_back(name);
      }
      nodes.push_back(std::move(node));
    }
    std::set<std::string> weights;
    for (const auto& entry : root.at("weightsManifest")) {
      WeightGroup group;
      for (const auto& shard : entry.at("paths")) group.paths.push_back(shard_path(shard, path));
      for (const auto& weight : entry.at("weights")) {
        group.weights.push_back(weight_spec(weight, group.bytes, path));
        if (group.weights.back().bytes > static_cast<std::size_t>(kMaxWeightBytes) - group.bytes) {
          throw corrupt(path, "the weights of one group are too large");
        }
        group.bytes += group.weights.back().bytes;
        if (!weights.insert(group.weights.back().name).second) {
          throw corrupt(path, "weight '" + group.weights.back().name + "' is listed twice");
        }
      }
      model.groups.push_back(std::move(group));
    }
    model.nodes = execution_order(std::move(nodes), path);
    for (const auto& node : model.nodes) {
      if (node.op == "Placeholder") model.input_names.push_back(node.name);
      if (node.op == "Const" && !weights.count(node.name)) {
        throw corrupt(path, "constant '" + node.name + "' has no weights in the manifest");
      }
    }
    read_signature(root, model);
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(path, std::string("unexpected structure (") + e.what() + ")");
  }
  return model;
}

}  // namespace wf::nn::tfjs
