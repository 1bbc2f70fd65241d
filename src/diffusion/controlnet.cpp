#include "diffusion/controlnet.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>

#include "core/error.h"
#include "diffusion/resnet.h"

namespace wf::diffusion {
namespace {

AdaptableConv2d zero_conv(int64_t in, int64_t out, int64_t kernel) {
  AdaptableConv2d conv = conv2d(in, out, kernel);
  torch::nn::init::zeros_(conv->weight);
  torch::nn::init::zeros_(conv->bias);
  return conv;
}

}  // namespace

ControlNetConditioningEmbeddingImpl::ControlNetConditioningEmbeddingImpl(int64_t conditioning_channels,
                                                                         const std::vector<int64_t>& channels,
                                                                         int64_t out_channels) {
  conv_in = register_module("conv_in", conv2d(conditioning_channels, channels.front(), 3));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (std::size_t i = 0; i + 1 < channels.size(); ++i) {
    blocks->push_back(conv2d(channels[i], channels[i], 3));
    blocks->push_back(conv2d(channels[i], channels[i + 1], 3, 2));
  }
  conv_out = register_module("conv_out", zero_conv(channels.back(), out_channels, 3));
}

at::Tensor ControlNetConditioningEmbeddingImpl::forward(const at::Tensor& image) {
  namespace F = torch::nn::functional;
  at::Tensor x = F::silu(conv_in->forward(image));
  for (const auto& block : *blocks) x = F::silu(block->as<AdaptableConv2d>()->forward(x));
  return conv_out->forward(x);
}

ControlNetModelImpl::ControlNetModelImpl(const ControlNetConfig& config) : config_(config) {
  const UNet2DConditionConfig& c = config.unet;
  const auto& channels = c.block_out_channels;
  const int64_t temb = channels.front() * 4;
  conv_in = register_module("conv_in", conv2d(c.in_channels, channels.front(), 3));
  time_embedding = register_module("time_embedding", TimestepEmbedding(channels.front(), temb));
  controlnet_cond_embedding = register_module(
      "controlnet_cond_embedding", ControlNetConditioningEmbedding(config.conditioning_channels,
                                                                   config.conditioning_embedding_out_channels,
                                                                   channels.front()));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  controlnet_down_blocks = register_module("controlnet_down_blocks", torch::nn::ModuleList(zero_conv(channels.front(), channels.front(), 1)));
  int64_t in = channels.front();
  for (std::size_t i = 0; i < channels.size(); ++i) {
    down_blocks->push_back(DownBlock(c, i, in, channels[i], temb));
    const int64_t skips = c.layers_per_block + (i + 1 < channels.size() ? 1 : 0);
    for (int64_t j = 0; j < skips; ++j) controlnet_down_blocks->push_back(zero_conv(channels[i], channels[i], 1));
    in = channels[i];
  }
  mid_block = register_module("mid_block", MidBlock(c, channels.back(), temb));
  controlnet_mid_block = register_module("controlnet_mid_block", zero_conv(channels.back(), channels.back(), 1));
}

ControlResiduals ControlNetModelImpl::forward(const at::Tensor& sample, const at::Tensor& timestep,
                                              const at::Tensor& context, const at::Tensor& control_image,
                                              const ControlNetInput& input) {
  const UNet2DConditionConfig& c = config_.unet;
  const int64_t scale = controlnet_cond_embedding->downscale();
  const at::Tensor temb = embed_time(*time_embedding, c, "ControlNet", sample, timestep, context);
  if (control_image.dim() != 4 || control_image.size(1) != config_.conditioning_channels ||
      control_image.size(2) != sample.size(2) * scale || control_image.size(3) != sample.size(3) * scale) {
    throw Error(ErrorCode::invalid_input,
                "the control image must be [B, " + std::to_string(config_.conditioning_channels) + ", " +
                    std::to_string(sample.size(2) * scale) + ", " + std::to_string(sample.size(3) * scale) +
                    "] for these latents, got " + c10::str(control_image.sizes()),
                {}, "give the control image the size of the generated image");
  }

  at::Tensor x = conv_in->forward(sample) + controlnet_cond_embedding->forward(control_image.to(sample.scalar_type()));
  std::vector<at::Tensor> skips{x};
  for (const auto& block : *down_blocks) x = block->as<DownBlock>()->forward(x, temb, context, skips);
  x = mid_block->forward(x, temb, context);

  ControlResiduals out;
  const auto count = static_cast<int64_t>(skips.size());
  for (int64_t i = 0; i < count; ++i) {
    // guess mode: torch.logspace(-1, 0, count + 1), i.e. 10^(-1 + i / count)
    const double weight = input.guess_mode && !config_.global_pool_conditions
                              ? std::pow(10.0, -1.0 + static_cast<double>(i) / static_cast<double>(count))
                              : 1.0;
    out.down.push_back(controlnet_down_blocks[static_cast<std::size_t>(i)]->as<AdaptableConv2d>()->forward(
                           skips[static_cast<std::size_t>(i)]) *
                       (weight * input.conditioning_scale));
  }
  out.mid = controlnet_mid_block->forward(x) * input.conditioning_scale;
  if (config_.global_pool_conditions) {
    for (auto& residual : out.down) residual = residual.mean({2, 3}, true);
    out.mid = out.mid.mean({2, 3}, true);
  }
  return out;
}

ControlNetModel controlnet_from_unet(UNet2DConditionModel& unet, bool copy_weights) {
  ControlNetModel controlnet(ControlNetConfig::from_unet(unet->config()));
  if (!copy_weights) return controlnet;
  torch::NoGradGuard no_grad;
  const auto source = unet->named_parameters();
  for (auto& item : controlnet->named_parameters()) {
    const std::string& key = item.key();
    if (key.rfind("controlnet_", 0) == 0) continue;  // the ControlNet's own layers
    item.value().copy_(source[key]);
  }
  return controlnet;
}

}  // namespace wf::diffusion
