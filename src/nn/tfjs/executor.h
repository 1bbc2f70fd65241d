#pragma once
// Runs a TensorFlow.js graph model on libtorch (CPU or CUDA). Every op is resolved to a kernel when the
// executor is built, so an unsupported model fails at load with the op and node named, not mid-run.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <map>
#include <string>
#include <vector>

#include "nn/tfjs/graph_model.h"
#include "nn/tfjs/ops.h"

namespace wf::nn::tfjs {

class Executor {
 public:
  explicit Executor(GraphModel model, c10::Device device = c10::kCPU);
  static Executor load(const std::filesystem::path& model_json, c10::Device device = c10::kCPU);

  // Inputs by Placeholder name, in the graph's layout (NHWC images). Returns the requested tensors
  // ("node" or "node:k"), by default the model's outputs.
  std::map<std::string, at::Tensor> run(const std::map<std::string, at::Tensor>& inputs,
                                        const std::vector<std::string>& outputs = {}) const;

  const GraphModel& model() const { return model_; }
  c10::Device device() const { return device_; }

 private:
  GraphModel model_;
  c10::Device device_;
  std::vector<Kernel> kernels_;             // per node, parallel to model_.nodes
  std::vector<std::vector<std::pair<std::size_t, int>>> input_refs_;  // (node index, output index)
  std::map<std::string, std::size_t> index_;
  std::vector<std::size_t> last_use_;  // the last node reading each node's outputs
};

}  // namespace wf::nn::tfjs
