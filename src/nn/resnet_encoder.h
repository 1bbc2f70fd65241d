#pragma once
// torchvision's ResNet (BasicBlock variants: resnet18, resnet34) as segmentation_models_pytorch uses it for
// an encoder: the same module names (conv1, bn1, layer1..4, downsample.0/.1), without avgpool and fc, and
// returning the six feature maps smp's decoders take (input, stem, layer1..layer4).

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <array>
#include <vector>

namespace wf::nn {

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride);
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct ResNetConfig {
  std::array<int64_t, 4> layers{3, 4, 6, 3};  // resnet34; {2, 2, 2, 2} is resnet18
  int64_t in_channels = 3;
};

class ResNetEncoderImpl : public torch::nn::Module {
 public:
  explicit ResNetEncoderImpl(const ResNetConfig& config = {});
  // [x, relu(bn1(conv1(x))), layer1(maxpool(.)), layer2, layer3, layer4]: strides 1, 2, 4, 8, 16, 32.
  std::vector<at::Tensor> forward(const at::Tensor& x);
  // Channels of those six maps: in_channels, 64, 64, 128, 256, 512.
  std::vector<int64_t> out_channels() const;

 private:
  ResNetConfig config_;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::array<torch::nn::Sequential, 4> layers_{nullptr, nullptr, nullptr, nullptr};
};
TORCH_MODULE(ResNetEncoder);

}  // namespace wf::nn
