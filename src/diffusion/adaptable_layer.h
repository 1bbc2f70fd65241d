#pragma once
// Linear and 2-D convolution layers with the keys of torch.nn.Linear / torch.nn.Conv2d (`weight`, `bias`) whose
// output adapters add to: the hook LoRA (peft's LoraLayer on Linear and Conv2d) attaches through. An adapter is
// registered as a named child, so its weights appear under `<layer>.<name>.*` and come off without a trace.

#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace wf::diffusion {

// Something added to a layer's output: delta(x), the shape of layer(x).
class LayerAdapter : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& x) = 0;
};

class AdaptableLayer : public torch::nn::Module {
 public:
  // Registers `adapter` as the child `name`; a second adapter under the same name replaces the first.
  void add_adapter(const std::string& name, std::shared_ptr<LayerAdapter> adapter);
  void remove_adapter(const std::string& name);
  const std::vector<std::pair<std::string, std::shared_ptr<LayerAdapter>>>& adapters() const { return adapters_; }

  at::Tensor weight, bias;  // bias is undefined without one

 protected:
  // torch.nn's initialisation: kaiming-uniform(a = sqrt(5)) weights, uniform(+-1/sqrt(fan_in)) bias.
  void init_parameters(std::vector<int64_t> weight_shape, bool has_bias);
  at::Tensor add_adapters(at::Tensor out, const at::Tensor& x) const;

 private:
  std::vector<std::pair<std::string, std::shared_ptr<LayerAdapter>>> adapters_;
};

class AdaptableLinearImpl : public AdaptableLayer {
 public:
  AdaptableLinearImpl(int64_t in_features, int64_t out_features, bool bias);
  at::Tensor forward(const at::Tensor& x);
};
TORCH_MODULE(AdaptableLinear);

class AdaptableConv2dImpl : public AdaptableLayer {
 public:
  // A kernel x kernel convolution with "same" padding unless `padding` is given.
  AdaptableConv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
                      int64_t padding = -1);
  at::Tensor forward(const at::Tensor& x);
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }

 private:
  int64_t stride_, padding_;
};
TORCH_MODULE(AdaptableConv2d);

}  // namespace wf::diffusion
