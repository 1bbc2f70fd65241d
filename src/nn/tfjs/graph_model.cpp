#include "nn/tfjs/graph_model.h"

#include <ATen/ATen.h>

#include <deque>
#include <fstream>
#include <set>

#include "core/error.h"
#include "core/json_io.h"

namespace wf::nn::tfjs {
namespace {

Error corrupt(const std::filesystem::path& path, const std::string& what) {
  return Error(ErrorCode::corrupt_file, "invalid TensorFlow.js model: " + what, path,
               "reinstall the model package (scripts/setup) or replace the file");
}

std::vector<char> read_shards(const std::filesystem::path& directory, const nlohmann::json& paths,
                              const std::filesystem::path& model_json) {
  std::vector<char> bytes;
  for (const auto& name : paths) {
    const auto shard = directory / name.get<std::string>();
    std::ifstream in(shard, std::ios::binary);
    if (!in) throw Error(ErrorCode::not_found, "weight shard of " + model_json.filename().string() + " is missing", shard,
                         "reinstall the model package (scripts/setup)");
    bytes.insert(bytes.end(), std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

std::size_t element_size(const std::string& dtype) {
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "float16" || dtype == "uint16") return 2;
  if (dtype == "uint8" || dtype == "bool") return 1;
  return 0;
}

// One weight entry of the manifest, decoded from `data` (quantized weights become float32).
at::Tensor decode_weight(const nlohmann::json& spec, const char* data, std::size_t available,
                         const std::filesystem::path& path) {
  const std::string name = spec.at("name");
  const std::string dtype = spec.at("dtype");
  std::vector<std::int64_t> shape = spec.at("shape").get<std::vector<std::int64_t>>();
  std::int64_t count = 1;
  for (auto dim : shape) {
    if (dim < 0) throw corrupt(path, "weight '" + name + "' has a negative dimension");
    count *= dim;
  }
  const nlohmann::json* quantization = spec.contains("quantization") ? &spec.at("quantization") : nullptr;
  const std::string stored = quantization ? quantization->at("dtype").get<std::string>() : dtype;
  const std::size_t size = element_size(stored);
  if (size == 0 || (dtype != "float32" && dtype != "int32" && dtype != "bool")) {
    throw Error(ErrorCode::unsupported, "weight '" + name + "' uses dtype " + stored + ", which the executor cannot read",
                path, "use a float32, float16 or uint8 quantized export of the model");
  }
  if (static_cast<std::size_t>(count) * size > available) {
    throw corrupt(path, "weight shards end inside weight '" + name + "' (truncated .bin?)");
  }
  auto raw = [&](at::ScalarType type) {
    return at::from_blob(const_cast<char*>(data), shape, at::TensorOptions().dtype(type)).clone();
  };
  if (!quantization) {
    if (dtype == "float32") return raw(at::kFloat);
    if (dtype == "int32") return raw(at::kInt);
    return raw(at::kBool);
  }
  at::Tensor value;
  if (stored == "float16") {
    value = raw(at::kHalf).to(at::kFloat);
  } else {
    // Affine quantization: value = min + scale * q.
    const at::Tensor q = stored == "uint8" ? raw(at::kByte) : raw(at::kShort).to(at::kInt).bitwise_and(0xffff);
    value = q.to(at::kFloat) * quantization->at("scale").get<double>() + quantization->at("min").get<double>();
  }
  return dtype == "int32" ? value.round().to(at::kInt) : value;
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

}  // namespace

std::pair<std::string, int> split_tensor_name(const std::string& name) {
  const auto colon = name.rfind(':');
  if (colon == std::string::npos || colon + 1 == name.size()) return {name, 0};
  const std::string suffix = name.substr(colon + 1);
  if (suffix.find_first_not_of("0123456789") != std::string::npos) return {name, 0};
  return {name.substr(0, colon), std::stoi(suffix)};
}

const std::string& GraphModel::resolve(const std::string& name) const {
  const auto it = aliases.find(name);
  return it == aliases.end() ? name : it->second;
}

GraphModel GraphModel::load(const std::filesystem::path& model_json) {
  const nlohmann::json root = core::read_json_file(model_json);
  GraphModel model;
  model.path = model_json;
  try {
    std::vector<Node> nodes;
    for (const auto& item : root.at("modelTopology").at("node")) {
      Node node{item.at("name"), item.at("op"), {}, item.value("attr", nlohmann::json::object())};
      for (const auto& input : item.value("input", nlohmann::json::array())) {
        const std::string text = input.get<std::string>();
        if (!text.empty() && text[0] != '^') node.inputs.push_back(text);
      }
      nodes.push_back(std::move(node));
    }
    for (const auto& group : root.at("weightsManifest")) {
      const std::vector<char> bytes = read_shards(model_json.parent_path(), group.at("paths"), model_json);
      std::size_t offset = 0;
      for (const auto& spec : group.at("weights")) {
        at::Tensor tensor = decode_weight(spec, bytes.data() + offset, bytes.size() - offset, model_json);
        const std::string stored = spec.contains("quantization") ? spec.at("quantization").at("dtype").get<std::string>()
                                                                 : spec.at("dtype").get<std::string>();
        offset += static_cast<std::size_t>(tensor.numel()) * element_size(stored);
        model.constants.emplace(spec.at("name").get<std::string>(), std::move(tensor));
      }
    }
    model.nodes = execution_order(std::move(nodes), model_json);
    for (const auto& node : model.nodes) {
      if (node.op == "Placeholder") model.input_names.push_back(node.name);
      if (node.op == "Const" && !model.constants.count(node.name)) {
        throw corrupt(model_json, "constant '" + node.name + "' has no weights in the manifest");
      }
    }
    const auto signature = root.find("signature");
    if (signature != root.end()) {
      for (const char* side : {"inputs", "outputs"}) {
        const nlohmann::json entries = signature->value(side, nlohmann::json::object());
        for (const auto& [key, entry] : entries.items()) {
          model.aliases[key] = entry.value("name", key);
        }
      }
    }
    if (signature != root.end() && signature->contains("outputs") && !signature->at("outputs").empty()) {
      for (const auto& [key, output] : signature->at("outputs").items()) model.output_names.push_back(key);
    } else {
      std::set<std::string> consumed;
      for (const auto& node : model.nodes) {
        for (const auto& input : node.inputs) consumed.insert(split_tensor_name(input).first);
      }
      for (const auto& node : model.nodes) {
        if (!consumed.count(node.name) && node.op != "Const") model.output_names.push_back(node.name);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(model_json, std::string("unexpected structure (") + e.what() + ")");
  }
  return model;
}

}  // namespace wf::nn::tfjs
