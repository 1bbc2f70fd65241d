#include "diffusion/adaptable_layer.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <algorithm>
#include <cmath>

namespace wf::diffusion {

void AdaptableLayer::add_adapter(const std::string& name, std::shared_ptr<LayerAdapter> adapter) {
  remove_adapter(name);
  register_module(name, adapter);
  adapters_.emplace_back(name, std::move(adapter));
}

void AdaptableLayer::remove_adapter(const std::string& name) {
  const auto it = std::find_if(adapters_.begin(), adapters_.end(), [&](const auto& a) { return a.first == name; });
  if (it == adapters_.end()) return;
  unregister_module(name);
  adapters_.erase(it);
}

void AdaptableLayer::init_parameters(std::vector<int64_t> weight_shape, bool has_bias) {
  weight = register_parameter("weight", at::empty(weight_shape));
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (!has_bias) return;
  const int64_t fan_in = weight.numel() / weight.size(0);
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  bias = register_parameter("bias", at::empty({weight_shape.front()}));
  torch::nn::init::uniform_(bias, -bound, bound);
}

at::Tensor AdaptableLayer::add_adapters(at::Tensor out, const at::Tensor& x) const {
  for (const auto& [name, adapter] : adapters_) out = out + adapter->forward(x);
  return out;
}

AdaptableLinearImpl::AdaptableLinearImpl(int64_t in_features, int64_t out_features, bool has_bias) {
  init_parameters({out_features, in_features}, has_bias);
}

at::Tensor AdaptableLinearImpl::forward(const at::Tensor& x) {
  return add_adapters(at::linear(x, weight, bias), x);
}

AdaptableConv2dImpl::AdaptableConv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                                         int64_t padding)
    : stride_(stride), padding_(padding < 0 ? kernel / 2 : padding) {
  init_parameters({out_channels, in_channels, kernel, kernel}, true);
}

at::Tensor AdaptableConv2dImpl::forward(const at::Tensor& x) {
  return add_adapters(at::conv2d(x, weight, bias, {stride_, stride_}, {padding_, padding_}), x);
}

}  // namespace wf::diffusion
