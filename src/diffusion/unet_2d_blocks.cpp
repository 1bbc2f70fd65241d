#include "diffusion/unet_2d_blocks.h"

#include <ATen/ATen.h>

#include "core/error.h"

#include "diffusion/resnet.h"
#include "diffusion/transformer_2d.h"
#include "nn/checkpoint.h"

namespace wf::diffusion {
namespace {

ResnetBlock2D resnet(const UNet2DConditionConfig& c, int64_t in, int64_t out, int64_t temb) {
  return ResnetBlock2D(in, out, temb, c.norm_num_groups, c.norm_eps);
}

Transformer2DModel transformer(const UNet2DConditionConfig& c, int64_t channels, int64_t heads) {
  return Transformer2DModel(Transformer2DOptions{.channels = channels,
                                                 .heads = heads,
                                                 .groups = c.norm_num_groups,
                                                 .cross_attention_dim = c.cross_attention_dim,
                                                 .use_linear_projection = c.use_linear_projection,
                                                 .upcast = c.upcast_attention});
}

at::Tensor run_resnet(const std::shared_ptr<torch::nn::Module>& module, const at::Tensor& x, const at::Tensor& temb,
                      bool checkpointed) {
  auto* resnet = module->as<ResnetBlock2D>();
  if (!checkpointed) return resnet->forward(x, temb);
  return nn::checkpoint([resnet](const std::vector<at::Tensor>& in) { return resnet->forward(in[0], in[1]); }, {x, temb});
}

at::Tensor run_transformer(const std::shared_ptr<torch::nn::Module>& module, const at::Tensor& x, const at::Tensor& context,
                           bool checkpointed) {
  auto* transformer = module->as<Transformer2DModel>();
  if (!checkpointed) return transformer->forward(x, context);
  return nn::checkpoint([transformer](const std::vector<at::Tensor>& in) { return transformer->forward(in[0], in[1]); },
                        {x, context});
}

}  // namespace

DownBlockImpl::DownBlockImpl(const UNet2DConditionConfig& c, std::size_t index, int64_t in, int64_t out, int64_t temb) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  const bool cross = c.is_cross_attention(index);
  if (cross) attentions = register_module("attentions", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers_per_block; ++i) {
    resnets->push_back(resnet(c, i == 0 ? in : out, out, temb));
    if (cross) attentions->push_back(transformer(c, out, c.num_attention_heads[index]));
  }
  if (index + 1 < c.block_out_channels.size()) {
    downsamplers = register_module("downsamplers", torch::nn::ModuleList(Downsample2D(out, out, false)));
  }
}

at::Tensor DownBlockImpl::forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context,
                                  std::vector<at::Tensor>& skips) {
  for (std::size_t i = 0; i < resnets->size(); ++i) {
    x = run_resnet(resnets[i], x, temb, gradient_checkpointing);
    if (attentions) x = run_transformer(attentions[i], x, context, gradient_checkpointing);
    skips.push_back(x);
  }
  if (downsamplers) {
    x = downsamplers[0]->as<Downsample2D>()->forward(x);
    skips.push_back(x);
  }
  return x;
}

MidBlockImpl::MidBlockImpl(const UNet2DConditionConfig& c, int64_t channels, int64_t temb) {
  resnets = register_module("resnets", torch::nn::ModuleList(resnet(c, channels, channels, temb),
                                                             resnet(c, channels, channels, temb)));
  attentions =
      register_module("attentions", torch::nn::ModuleList(transformer(c, channels, c.num_attention_heads.back())));
}

at::Tensor MidBlockImpl::forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context) {
  x = run_resnet(resnets[0], x, temb, gradient_checkpointing);
  x = run_transformer(attentions[0], x, context, gradient_checkpointing);
  return run_resnet(resnets[1], x, temb, gradient_checkpointing);
}

UpBlockImpl::UpBlockImpl(const UNet2DConditionConfig& c, std::size_t index, int64_t skip_in, int64_t out, int64_t prev,
                         int64_t temb) {
  const std::size_t blocks = c.block_out_channels.size();
  const bool cross = c.up_block_types.at(index) == "CrossAttnUpBlock2D";
  const int64_t heads = c.num_attention_heads.at(blocks - 1 - index);
  const int64_t layers = c.layers_per_block + 1;
  resnets = register_module("resnets", torch::nn::ModuleList());
  if (cross) attentions = register_module("attentions", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) {
    const int64_t skip = i == layers - 1 ? skip_in : out;
    resnets->push_back(resnet(c, (i == 0 ? prev : out) + skip, out, temb));
    if (cross) attentions->push_back(transformer(c, out, heads));
  }
  if (index + 1 < blocks) upsamplers = register_module("upsamplers", torch::nn::ModuleList(Upsample2D(out)));
}

at::Tensor UpBlockImpl::forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context,
                                std::vector<at::Tensor>& skips, const std::optional<std::vector<int64_t>>& size) {
  for (std::size_t i = 0; i < resnets->size(); ++i) {
    x = at::cat({x, skips.back()}, 1);
    skips.pop_back();
    x = run_resnet(resnets[i], x, temb, gradient_checkpointing);
    if (attentions) x = run_transformer(attentions[i], x, context, gradient_checkpointing);
  }
  if (upsamplers) x = upsamplers[0]->as<Upsample2D>()->forward(x, size);
  return x;
}

at::Tensor embed_time(TimestepEmbeddingImpl& time_embedding, const UNet2DConditionConfig& config, const char* model,
                      const at::Tensor& sample, const at::Tensor& timestep, const at::Tensor& context) {
  if (sample.dim() != 4 || sample.size(1) != config.in_channels) {
    throw Error(ErrorCode::invalid_input, std::string("the ") + model + " takes [B, " + std::to_string(config.in_channels) +
                                              ", h, w] latents, got " + c10::str(sample.sizes()));
  }
  if (context.dim() != 3 || context.size(2) != config.cross_attention_dim) {
    throw Error(ErrorCode::invalid_input, std::string("the ") + model + " takes a [B, tokens, " +
                                              std::to_string(config.cross_attention_dim) + "] context, got " +
                                              c10::str(context.sizes()));
  }
  const at::Tensor t = broadcast_timesteps(timestep, sample.size(0), sample.device());
  return time_embedding.forward(
      timestep_embedding(t, config.block_out_channels.front(), config.flip_sin_to_cos, config.freq_shift)
          .to(sample.scalar_type()));
}

void set_gradient_checkpointing(torch::nn::Module& model, bool enabled) {
  for (const auto& module : model.modules()) {
    if (auto* down = dynamic_cast<DownBlockImpl*>(module.get())) down->gradient_checkpointing = enabled;
    if (auto* mid = dynamic_cast<MidBlockImpl*>(module.get())) mid->gradient_checkpointing = enabled;
    if (auto* up = dynamic_cast<UpBlockImpl*>(module.get())) up->gradient_checkpointing = enabled;
  }
}

}  // namespace wf::diffusion
