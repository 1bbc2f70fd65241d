#pragma once
// segmentation_models_pytorch's Unet with a ResNet encoder, module for module, so its state_dict keys
// (encoder.*, decoder.blocks.N.conv{1,2}.{0,1}.*, segmentation_head.0.*), shapes and forward output are
// those of `smp.Unet(encoder_name="resnet34", encoder_weights=None, in_channels=3, classes=1)`:
// no centre block, no attention, batch norm, nearest 2x upsampling, logits out (no activation).

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include <vector>

#include "nn/resnet_encoder.h"

namespace wf::nn {

struct UnetConfig {
  ResNetConfig encoder;                                    // resnet34, 3 input channels
  std::vector<int64_t> decoder_channels{256, 128, 64, 32, 16};
  int64_t classes = 1;
};

class UnetDecoderBlockImpl : public torch::nn::Module {
 public:
  UnetDecoderBlockImpl(int64_t in_channels, int64_t skip_channels, int64_t out_channels);
  at::Tensor forward(at::Tensor x, const at::Tensor& skip);  // skip may be undefined (the last block)

 private:
  torch::nn::Sequential conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(UnetDecoderBlock);

class UnetDecoderImpl : public torch::nn::Module {
 public:
  UnetDecoderImpl(const std::vector<int64_t>& encoder_channels, const std::vector<int64_t>& decoder_channels);
  at::Tensor forward(const std::vector<at::Tensor>& features);

 private:
  torch::nn::ModuleList blocks{nullptr};
};
TORCH_MODULE(UnetDecoder);

class UnetImpl : public torch::nn::Module {
 public:
  explicit UnetImpl(const UnetConfig& config = {});
  // [N, 3, H, W] with H and W multiples of 32 -> logits [N, classes, H, W].
  at::Tensor forward(const at::Tensor& x);

 private:
  ResNetEncoder encoder{nullptr};
  UnetDecoder decoder{nullptr};
  torch::nn::Sequential segmentation_head{nullptr};
};
TORCH_MODULE(Unet);

}  // namespace wf::nn
