#include "nn/resnet_encoder.h"

#include <torch/nn/functional/pooling.h>
#include <torch/nn/options/conv.h>

namespace wf::nn {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride) {
  conv1 = register_module("conv1", conv(in_channels, channels, 3, stride, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(channels));
  conv2 = register_module("conv2", conv(channels, channels, 3, 1, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(channels));
  if (stride != 1 || in_channels != channels) {
    downsample = register_module("downsample",
                                 torch::nn::Sequential(conv(in_channels, channels, 1, stride, 0), torch::nn::BatchNorm2d(channels)));
  }
}

at::Tensor BasicBlockImpl::forward(const at::Tensor& x) {
  at::Tensor out = bn1->forward(conv1->forward(x)).relu_();
  out = bn2->forward(conv2->forward(out));
  out += downsample ? downsample->forward(x) : x;
  return out.relu_();
}

ResNetEncoderImpl::ResNetEncoderImpl(const ResNetConfig& config) : config_(config) {
  conv1 = register_module("conv1", conv(config.in_channels, 64, 7, 2, 3));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  int64_t in_channels = 64;
  const std::array<int64_t, 4> widths{64, 128, 256, 512};
  for (std::size_t i = 0; i < 4; ++i) {
    torch::nn::Sequential layer;
    for (int64_t block = 0; block < config.layers[i]; ++block) {
      const int64_t stride = (block == 0 && i > 0) ? 2 : 1;
      layer->push_back(BasicBlock(in_channels, widths[i], stride));
      in_channels = widths[i];
    }
    layers_[i] = register_module("layer" + std::to_string(i + 1), layer);
  }
}

std::vector<at::Tensor> ResNetEncoderImpl::forward(const at::Tensor& x) {
  std::vector<at::Tensor> features{x};
  features.push_back(bn1->forward(conv1->forward(x)).relu_());
  at::Tensor y = torch::nn::functional::max_pool2d(features.back(),
                                                   torch::nn::functional::MaxPool2dFuncOptions(3).stride(2).padding(1));
  for (auto& layer : layers_) {
    y = layer->forward(y);
    features.push_back(y);
  }
  return features;
}

std::vector<int64_t> ResNetEncoderImpl::out_channels() const { return {config_.in_channels, 64, 64, 128, 256, 512}; }

}  // namespace wf::nn
