#include "nn/tfjs/executor.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/error.h"

namespace wf::nn::tfjs {

Executor::Executor(GraphModel model, c10::Device device) : model_(std::move(model)), device_(device) {
  for (auto& [name, tensor] : model_.constants) tensor = tensor.to(device_);
  const KernelTable& table = kernels();
  for (std::size_t i = 0; i < model_.nodes.size(); ++i) {
    const Node& node = model_.nodes[i];
    index_[node.name] = i;
    Kernel kernel = nullptr;
    if (node.op != "Const" && node.op != "Placeholder") {
      const auto it = table.find(node.op);
      if (it == table.end()) {
        throw Error(ErrorCode::unsupported,
                    "the model uses op '" + node.op + "' (node '" + node.name +
                        "'), which the TensorFlow.js executor does not implement",
                    model_.path, "use another backend for this role (watserface models lists them)");
      }
      kernel = it->second;
    }
    kernels_.push_back(kernel);
    std::vector<std::pair<std::size_t, int>> refs;
    for (const auto& input : node.inputs) {
      const auto [producer, output] = split_tensor_name(input);
      refs.emplace_back(index_.at(producer), output);  // execution order puts producers first
    }
    input_refs_.push_back(std::move(refs));
  }
  last_use_.assign(model_.nodes.size(), 0);
  for (std::size_t i = 0; i < model_.nodes.size(); ++i) {
    for (const auto& [producer, output] : input_refs_[i]) last_use_[producer] = i;
  }
}

Executor Executor::load(const std::filesystem::path& model_json, c10::Device device) {
  return Executor(GraphModel::load(model_json), device);
}

std::map<std::string, at::Tensor> Executor::run(const std::map<std::string, at::Tensor>& inputs,
                                                const std::vector<std::string>& outputs) const {
  c10::InferenceMode inference;
  const std::vector<std::string>& wanted = outputs.empty() ? model_.output_names : outputs;
  std::vector<std::pair<std::size_t, int>> wanted_refs;
  for (const auto& name : wanted) {
    const auto [node, output] = split_tensor_name(model_.resolve(name));
    const auto it = index_.find(node);
    if (it == index_.end()) {
      throw Error(ErrorCode::invalid_input, "the model has no tensor '" + name + "'", model_.path);
    }
    wanted_refs.emplace_back(it->second, output);
  }

  // Intermediates are freed once their last reader ran; the requested ones are kept to the end.
  std::vector<std::size_t> last_use = last_use_;
  for (const auto& [producer, output] : wanted_refs) last_use[producer] = model_.nodes.size();

  std::vector<Tensors> values(model_.nodes.size());
  for (std::size_t i = 0; i < model_.nodes.size(); ++i) {
    const Node& node = model_.nodes[i];
    if (node.op == "Const") {
      values[i] = {model_.constants.at(node.name)};
    } else if (node.op == "Placeholder") {
      auto it = inputs.find(node.name);
      for (const auto& [key, target] : model_.aliases) {
        if (it == inputs.end() && split_tensor_name(target).first == node.name) it = inputs.find(key);
      }
      if (it == inputs.end()) {
        throw Error(ErrorCode::invalid_input, "input '" + node.name + "' was not given", model_.path);
      }
      values[i] = {it->second.to(device_, at::kFloat)};
    } else {
      Tensors arguments;
      for (const auto& [producer, output] : input_refs_[i]) {
        if (output >= static_cast<int>(values[producer].size())) {
          throw Error(ErrorCode::corrupt_file,
                      "node '" + node.name + "' reads output " + std::to_string(output) + " of '" +
                          model_.nodes[producer].name + "', which has fewer",
                      model_.path);
        }
        arguments.push_back(values[producer][output]);
      }
      try {
        values[i] = kernels_[i](node, arguments);
      } catch (const Error& e) {
        if (!e.path().empty()) throw;
        throw Error(e.code(), e.message(), model_.path, e.hint());  // a malformed attribute: name the model
      } catch (const c10::Error& e) {
        throw Error(ErrorCode::invalid_input,
                    "op '" + node.op + "' at node '" + node.name + "' failed: " + e.what_without_backtrace(),
                    model_.path, "check the input's shape against the model's (NHWC)");
      }
    }
    for (const auto& [producer, output] : input_refs_[i]) {
      if (last_use[producer] == i && model_.nodes[producer].op != "Const") values[producer].clear();
    }
  }
  std::map<std::string, at::Tensor> results;
  for (std::size_t k = 0; k < wanted.size(); ++k) {
    const auto [node, output] = wanted_refs[k];
    results[wanted[k]] = values[node].at(output);
  }
  return results;
}

}  // namespace wf::nn::tfjs
