#include "diffusion/unet_2d_condition.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>

#include <algorithm>

#include "core/error.h"
#include "diffusion/resnet.h"

namespace wf::diffusion {

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNet2DConditionConfig& config) : config_(config) {
  const auto& channels = config.block_out_channels;
  const int64_t temb = channels.front() * 4;
  conv_in = register_module("conv_in", conv2d(config.in_channels, channels.front(), 3));
  time_embedding = register_module("time_embedding", TimestepEmbedding(channels.front(), temb));
  // Registered in diffusers' order (down_blocks, up_blocks, then mid_block): named_modules() then lists the
  // attention layers in the order of diffusers' attn_processors, which IP-Adapter files number.
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  int64_t in = channels.front();
  for (std::size_t i = 0; i < channels.size(); ++i) {
    down_blocks->push_back(DownBlock(config, i, in, channels[i], temb));
    in = channels[i];
  }
  mid_block = register_module("mid_block", MidBlock(config, channels.back(), temb));
  const std::vector<int64_t> reversed(channels.rbegin(), channels.rend());
  int64_t out = reversed.front();
  for (std::size_t i = 0; i < reversed.size(); ++i) {
    const int64_t prev = out;
    out = reversed[i];
    const int64_t skip_in = reversed[std::min(i + 1, reversed.size() - 1)];
    up_blocks->push_back(UpBlock(config, i, skip_in, out, prev, temb));
  }
  conv_norm_out = register_module("conv_norm_out", group_norm(config.norm_num_groups, channels.front(), config.norm_eps));
  conv_out = register_module("conv_out", conv2d(channels.front(), config.out_channels, 3));
}

at::Tensor UNet2DConditionModelImpl::forward(const at::Tensor& sample, const at::Tensor& timestep,
                                             const at::Tensor& context, const ControlResiduals* control) {
  const at::Tensor temb = embed_time(*time_embedding, config_, "UNet", sample, timestep, context);

  at::Tensor x = conv_in->forward(sample);
  std::vector<at::Tensor> skips{x};
  for (const auto& block : *down_blocks) x = block->as<DownBlock>()->forward(x, temb, context, skips);
  if (control) {
    if (control->down.size() != skips.size()) {
      throw Error(ErrorCode::invalid_input, "the ControlNet gives " + std::to_string(control->down.size()) +
                                                " residuals for a UNet with " + std::to_string(skips.size()) +
                                                " skip connections");
    }
    for (std::size_t i = 0; i < skips.size(); ++i) skips[i] = skips[i] + control->down[i];
  }
  x = mid_block->forward(x, temb, context);
  if (control && control->mid.defined()) x = x + control->mid;
  for (std::size_t i = 0; i < up_blocks->size(); ++i) {
    const std::size_t consumed = static_cast<std::size_t>(config_.layers_per_block + 1);
    std::optional<std::vector<int64_t>> size;
    if (i + 1 < up_blocks->size()) {
      const auto& next_skip = skips[skips.size() - consumed - 1];
      size = std::vector<int64_t>{next_skip.size(2), next_skip.size(3)};
    }
    x = up_blocks[i]->as<UpBlock>()->forward(x, temb, context, skips, size);
  }
  return conv_out->forward(torch::nn::functional::silu(conv_norm_out->forward(x)));
}

}  // namespace wf::diffusion
