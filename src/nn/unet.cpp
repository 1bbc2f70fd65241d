#include "nn/unet.h"

#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "core/error.h"

namespace wf::nn {
namespace {

// smp's Conv2dReLU: conv (no bias under batch norm), batch norm, ReLU.
torch::nn::Sequential conv_bn_relu(int64_t in, int64_t out) {
  return torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)),
                               torch::nn::BatchNorm2d(out), torch::nn::ReLU(torch::nn::ReLUOptions(true)));
}

}  // namespace

UnetDecoderBlockImpl::UnetDecoderBlockImpl(int64_t in_channels, int64_t skip_channels, int64_t out_channels) {
  conv1 = register_module("conv1", conv_bn_relu(in_channels + skip_channels, out_channels));
  conv2 = register_module("conv2", conv_bn_relu(out_channels, out_channels));
}

at::Tensor UnetDecoderBlockImpl::forward(at::Tensor x, const at::Tensor& skip) {
  namespace F = torch::nn::functional;
  x = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
  if (skip.defined()) {
    const int64_t dy = skip.size(2) - x.size(2), dx = skip.size(3) - x.size(3);
    if (dy != 0 || dx != 0) x = F::pad(x, F::PadFuncOptions({dx / 2, dx - dx / 2, dy / 2, dy - dy / 2}));
    x = at::cat({x, skip}, 1);
  }
  return conv2->forward(conv1->forward(x));
}

UnetDecoderImpl::UnetDecoderImpl(const std::vector<int64_t>& encoder_channels, const std::vector<int64_t>& decoder_channels) {
  // The first feature (the input itself) is no skip; the rest run from the deepest up.
  std::vector<int64_t> skips(encoder_channels.rbegin(), encoder_channels.rend() - 1);
  const int64_t head = skips.front();
  skips.erase(skips.begin());
  blocks = register_module("blocks", torch::nn::ModuleList());
  int64_t in = head;
  for (std::size_t i = 0; i < decoder_channels.size(); ++i) {
    const int64_t skip = i < skips.size() ? skips[i] : 0;
    blocks->push_back(UnetDecoderBlock(in, skip, decoder_channels[i]));
    in = decoder_channels[i];
  }
}

at::Tensor UnetDecoderImpl::forward(const std::vector<at::Tensor>& features) {
  // features: input, then strides 2..32; the decoder starts at the deepest and takes the others as skips.
  at::Tensor x = features.back();
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    const std::size_t skip = features.size() - 2 - i;  // stride-16 map for the first block ... stride 2
    const at::Tensor skip_map = skip >= 1 && skip < features.size() ? features[skip] : at::Tensor();
    x = blocks[i]->as<UnetDecoderBlock>()->forward(x, skip_map);
  }
  return x;
}

UnetImpl::UnetImpl(const UnetConfig& config) {
  if (config.decoder_channels.size() != 5) {
    throw Error(ErrorCode::invalid_input, "a U-Net on a 5-stage ResNet needs 5 decoder channel counts");
  }
  encoder = register_module("encoder", ResNetEncoder(config.encoder));
  decoder = register_module("decoder", UnetDecoder(encoder->out_channels(), config.decoder_channels));
  segmentation_head = register_module(
      "segmentation_head",
      torch::nn::Sequential(torch::nn::Conv2d(
          torch::nn::Conv2dOptions(config.decoder_channels.back(), config.classes, 3).padding(1))));
}

at::Tensor UnetImpl::forward(const at::Tensor& x) {
  if (x.dim() != 4 || x.size(2) % 32 != 0 || x.size(3) % 32 != 0) {
    throw Error(ErrorCode::invalid_input, "the U-Net takes [N, C, H, W] with H and W multiples of 32");
  }
  return segmentation_head->forward(decoder->forward(encoder->forward(x)));
}

}  // namespace wf::nn
