#include "diffusion/autoencoder_kl.h"

#include <ATen/ATen.h>

#include <algorithm>

#include <torch/nn/functional/activation.h>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace wf::diffusion {
namespace {

namespace F = torch::nn::functional;

constexpr double kEps = 1e-6;

ResnetBlock2D resnet(int64_t in, int64_t out, int64_t groups) { return ResnetBlock2D(in, out, 0, groups, kEps); }

// DownEncoderBlock2D / UpDecoderBlock2D: resnets, then an optional down- or upsampler.
class ResnetStackImpl : public torch::nn::Module {
 public:
  ResnetStackImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, int sample) : sample_(sample) {
    resnets_ = register_module("resnets", torch::nn::ModuleList());
    for (int64_t i = 0; i < layers; ++i) resnets_->push_back(resnet(i == 0 ? in : out, out, groups));
    if (sample < 0) samplers_ = register_module("downsamplers", torch::nn::ModuleList(Downsample2D(out, out, true)));
    if (sample > 0) samplers_ = register_module("upsamplers", torch::nn::ModuleList(Upsample2D(out)));
  }
  at::Tensor forward(at::Tensor x) {
    for (const auto& resnet : *resnets_) x = resnet->as<ResnetBlock2D>()->forward(x);
    if (sample_ < 0) x = samplers_[0]->as<Downsample2D>()->forward(x);
    if (sample_ > 0) x = samplers_[0]->as<Upsample2D>()->forward(x);
    return x;
  }

 private:
  int sample_;  // -1 down, 0 none, +1 up
  torch::nn::ModuleList resnets_{nullptr}, samplers_{nullptr};
};
TORCH_MODULE(ResnetStack);

}  // namespace

AutoencoderKLConfig AutoencoderKLConfig::from_json(const nlohmann::json& value, const std::filesystem::path& source) {
  AutoencoderKLConfig c;
  try {
    c.in_channels = value.value("in_channels", c.in_channels);
    c.out_channels = value.value("out_channels", c.out_channels);
    c.latent_channels = value.value("latent_channels", c.latent_channels);
    c.block_out_channels = value.value("block_out_channels", c.block_out_channels);
    c.layers_per_block = value.value("layers_per_block", c.layers_per_block);
    c.norm_num_groups = value.value("norm_num_groups", c.norm_num_groups);
    c.scaling_factor = value.value("scaling_factor", c.scaling_factor);
    for (const char* key : {"down_block_types", "up_block_types"}) {
      if (!value.contains(key)) continue;
      for (const auto& type : value.at(key)) {
        const std::string name = type.get<std::string>();
        if (name != "DownEncoderBlock2D" && name != "UpDecoderBlock2D") {
          throw Error(ErrorCode::unsupported, "VAE block type '" + name + "' is not supported", source,
                      "use a Stable Diffusion 1.x/2.x VAE");
        }
      }
    }
    if (value.value("act_fn", std::string("silu")) != "silu") {
      throw Error(ErrorCode::unsupported, "only the SiLU activation is supported", source);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed VAE config: ") + e.what(), source);
  }
  if (c.block_out_channels.empty()) throw Error(ErrorCode::corrupt_file, "block_out_channels is empty", source);
  return c;
}

UNetMidBlock2DImpl::UNetMidBlock2DImpl(int64_t channels, int64_t groups) {
  resnets = register_module("resnets", torch::nn::ModuleList(resnet(channels, channels, groups),
                                                             resnet(channels, channels, groups)));
  // One head over all channels, with the layer's own group norm and residual connection.
  const AttentionOptions options{.query_dim = channels, .heads = 1, .dim_head = channels, .bias = true,
                                 .norm_num_groups = groups, .norm_eps = kEps, .residual_connection = true,
                                 .upcast = true};
  attentions = register_module("attentions", torch::nn::ModuleList(Attention(options)));
}

at::Tensor UNetMidBlock2DImpl::forward(at::Tensor x) {
  x = resnets[0]->as<ResnetBlock2D>()->forward(x);
  x = attentions[0]->as<Attention>()->forward(x);
  return resnets[1]->as<ResnetBlock2D>()->forward(x);
}

VaeEncoderImpl::VaeEncoderImpl(const AutoencoderKLConfig& c) {
  const auto& channels = c.block_out_channels;
  conv_in = register_module("conv_in", conv2d(c.in_channels, channels.front(), 3));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  int64_t in = channels.front();
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const bool last = i + 1 == channels.size();
    down_blocks->push_back(ResnetStack(in, channels[i], c.layers_per_block, c.norm_num_groups, last ? 0 : -1));
    in = channels[i];
  }
  mid_block = register_module("mid_block", UNetMidBlock2D(channels.back(), c.norm_num_groups));
  conv_norm_out = register_module("conv_norm_out", group_norm(c.norm_num_groups, channels.back(), kEps));
  conv_out = register_module("conv_out", conv2d(channels.back(), 2 * c.latent_channels, 3));
}

at::Tensor VaeEncoderImpl::forward(const at::Tensor& x) {
  at::Tensor h = conv_in->forward(x);
  for (const auto& block : *down_blocks) h = block->as<ResnetStack>()->forward(h);
  h = mid_block->forward(h);
  return conv_out->forward(F::silu(conv_norm_out->forward(h)));
}

VaeDecoderImpl::VaeDecoderImpl(const AutoencoderKLConfig& c) {
  const std::vector<int64_t> channels(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  conv_in = register_module("conv_in", conv2d(c.latent_channels, channels.front(), 3));
  mid_block = register_module("mid_block", UNetMidBlock2D(channels.front(), c.norm_num_groups));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  int64_t in = channels.front();
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const bool last = i + 1 == channels.size();
    up_blocks->push_back(ResnetStack(in, channels[i], c.layers_per_block + 1, c.norm_num_groups, last ? 0 : 1));
    in = channels[i];
  }
  conv_norm_out = register_module("conv_norm_out", group_norm(c.norm_num_groups, channels.back(), kEps));
  conv_out = register_module("conv_out", conv2d(channels.back(), c.out_channels, 3));
}

at::Tensor VaeDecoderImpl::forward(const at::Tensor& z) {
  at::Tensor h = mid_block->forward(conv_in->forward(z));
  for (const auto& block : *up_blocks) h = block->as<ResnetStack>()->forward(h);
  return conv_out->forward(F::silu(conv_norm_out->forward(h)));
}

AutoencoderKLImpl::AutoencoderKLImpl(const AutoencoderKLConfig& config) : config_(config) {
  encoder = register_module("encoder", VaeEncoder(config));
  decoder = register_module("decoder", VaeDecoder(config));
  quant_conv = register_module("quant_conv", conv2d(2 * config.latent_channels, 2 * config.latent_channels, 1));
  post_quant_conv = register_module("post_quant_conv", conv2d(config.latent_channels, config.latent_channels, 1));
}

std::pair<at::Tensor, at::Tensor> AutoencoderKLImpl::encode(const at::Tensor& images) {
  const at::Tensor moments = quant_conv->forward(encoder->forward(images));
  const auto parts = moments.chunk(2, 1);
  return {parts[0], parts[1].clamp(-30.0, 20.0)};
}

at::Tensor AutoencoderKLImpl::decode(const at::Tensor& latents) { return decoder->forward(post_quant_conv->forward(latents)); }

namespace {

// Tile starts along one axis: `tile` apart less the overlap, the last one flush with the end.
std::vector<int64_t> tile_starts(int64_t size, int64_t tile, int64_t overlap) {
  std::vector<int64_t> starts{0};
  while (starts.back() + tile < size) starts.push_back(std::min(starts.back() + tile - overlap, size - tile));
  return starts;
}

// A weight along one axis of a tile: rising linearly over `ramp` pixels on sides that meet another tile.
at::Tensor ramp(int64_t length, int64_t ramp_length, bool rise, bool fall, const at::TensorOptions& options) {
  at::Tensor w = at::ones({length}, options);
  const at::Tensor up = (at::arange(ramp_length, options) + 0.5) / static_cast<double>(ramp_length);
  if (rise) w.slice(0, 0, ramp_length).copy_(up);
  if (fall) w.slice(0, length - ramp_length, length).copy_(up.flip(0));
  return w;
}

}  // namespace

at::Tensor AutoencoderKLImpl::tiled_decode(const at::Tensor& latents, int64_t tile, int64_t overlap) {
  const int64_t h = latents.size(2), w = latents.size(3);
  if (h <= tile && w <= tile) return decode(latents);
  if (overlap < 1 || overlap * 2 > tile) {
    throw Error(ErrorCode::invalid_input, "tile overlap must be between 1 and half the tile");
  }
  const int64_t scale = int64_t{1} << (config_.block_out_channels.size() - 1);
  const auto ys = tile_starts(h, tile, overlap), xs = tile_starts(w, tile, overlap);
  const auto options = latents.options();
  at::Tensor sum = at::zeros({latents.size(0), config_.out_channels, h * scale, w * scale}, options);
  at::Tensor weight = at::zeros({1, 1, h * scale, w * scale}, options);
  for (std::size_t i = 0; i < ys.size(); ++i) {
    for (std::size_t j = 0; j < xs.size(); ++j) {
      const int64_t th = std::min(tile, h), tw = std::min(tile, w);
      const at::Tensor part = decode(latents.slice(2, ys[i], ys[i] + th).slice(3, xs[j], xs[j] + tw));
      const at::Tensor wy = ramp(th * scale, overlap * scale, i > 0, i + 1 < ys.size(), options);
      const at::Tensor wx = ramp(tw * scale, overlap * scale, j > 0, j + 1 < xs.size(), options);
      const at::Tensor mask = (wy.unsqueeze(1) * wx.unsqueeze(0)).view({1, 1, th * scale, tw * scale});
      sum.slice(2, ys[i] * scale, (ys[i] + th) * scale).slice(3, xs[j] * scale, (xs[j] + tw) * scale).add_(part * mask);
      weight.slice(2, ys[i] * scale, (ys[i] + th) * scale).slice(3, xs[j] * scale, (xs[j] + tw) * scale).add_(mask);
    }
  }
  return sum / weight;
}

}  // namespace wf::diffusion
