#include "diffusion/ip_adapter.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>

#include <cmath>

#include "core/error.h"
#include "diffusion/unet_2d_condition.h"

namespace wf::diffusion {
namespace {

torch::nn::Linear linear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace

PerceiverAttentionImpl::PerceiverAttentionImpl(int64_t dim, int64_t dim_head, int64_t heads) : heads_(heads) {
  const int64_t inner = dim_head * heads;
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  to_q = register_module("to_q", linear(dim, inner, false));
  to_kv = register_module("to_kv", linear(dim, inner * 2, false));
  to_out = register_module("to_out", linear(inner, dim, false));
}

at::Tensor PerceiverAttentionImpl::forward(const at::Tensor& x, const at::Tensor& latents) {
  const at::Tensor xs = norm1->forward(x), ls = norm2->forward(latents);
  const auto b = ls.size(0), n = ls.size(1);
  auto split = [&](const at::Tensor& t) { return t.view({b, t.size(1), heads_, -1}).transpose(1, 2); };
  const at::Tensor q = split(to_q->forward(ls));
  const auto kv = to_kv->forward(at::cat({xs, ls}, 1)).chunk(2, -1);
  // softmax in fp32, as the reference does for half-precision runs
  const double d = static_cast<double>(q.size(-1));
  const at::Tensor weight = at::matmul(q, split(kv[0]).transpose(-2, -1)) / std::sqrt(d);
  const at::Tensor out = at::matmul(at::softmax(weight.to(at::kFloat), -1).to(weight.scalar_type()), split(kv[1]));
  return to_out->forward(out.transpose(1, 2).reshape({b, n, -1}));
}

ResamplerImpl::ResamplerImpl(const ResamplerConfig& c) {
  latents = register_parameter("latents", at::randn({1, c.num_queries, c.dim}) / std::sqrt(static_cast<double>(c.dim)));
  proj_in = register_module("proj_in", linear(c.embedding_dim, c.dim, true));
  proj_out = register_module("proj_out", linear(c.dim, c.output_dim, true));
  norm_out = register_module("norm_out", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.output_dim})));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.depth; ++i) {
    const int64_t inner = c.dim * c.ff_mult;
    torch::nn::Sequential ff(torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})), linear(c.dim, inner, false),
                             torch::nn::GELU(), linear(inner, c.dim, false));
    layers->push_back(torch::nn::ModuleList(PerceiverAttention(c.dim, c.dim_head, c.heads), ff));
  }
}

at::Tensor ResamplerImpl::forward(const at::Tensor& embeddings) {
  const at::Tensor x = proj_in->forward(embeddings.dim() == 2 ? embeddings.unsqueeze(1) : embeddings);
  at::Tensor l = latents.expand({x.size(0), -1, -1});
  for (const auto& layer : *layers) {
    auto& pair = *layer->as<torch::nn::ModuleList>();
    l = pair[0]->as<PerceiverAttention>()->forward(x, l) + l;
    l = pair[1]->as<torch::nn::Sequential>()->forward(l) + l;
  }
  return norm_out->forward(proj_out->forward(l));
}

IPAttnProcessor::IPAttnProcessor(int64_t cross_attention_dim, int64_t hidden_size, int64_t num_tokens)
    : num_tokens_(num_tokens) {
  to_k_ip = register_module("to_k_ip", linear(cross_attention_dim, hidden_size, false));
  to_v_ip = register_module("to_v_ip", linear(cross_attention_dim, hidden_size, false));
}

at::Tensor IPAttnProcessor::forward(AttentionImpl& attention, const at::Tensor& hidden, const at::Tensor& context) {
  if (!context.defined() || context.size(1) <= num_tokens_) {
    throw Error(ErrorCode::invalid_input, "an IP-Adapter layer needs the text context followed by " +
                                              std::to_string(num_tokens_) + " identity tokens");
  }
  const int64_t text_length = context.size(1) - num_tokens_;
  const at::Tensor text = context.narrow(1, 0, text_length), identity = context.narrow(1, text_length, num_tokens_);
  const at::Tensor query = attention.to_q->forward(hidden);
  at::Tensor out = attention.attend(query, attention.to_k->forward(text), attention.to_v->forward(text));
  if (scale != 0.0) out = out + scale * attention.attend(query, to_k_ip->forward(identity), to_v_ip->forward(identity));
  return attention.to_out[0]->as<AdaptableLinear>()->forward(out);
}

IPAdapterImpl::IPAdapterImpl(UNet2DConditionModelImpl& unet, const ResamplerConfig& config) : config_(config) {
  if (config.output_dim != unet.config().cross_attention_dim) {
    throw Error(ErrorCode::invalid_input, "the identity tokens are " + std::to_string(config.output_dim) +
                                              " wide but the UNet attends to " +
                                              std::to_string(unet.config().cross_attention_dim) + "-wide context");
  }
  image_proj = register_module("image_proj", Resampler(config));
  ip_adapter = register_module("ip_adapter", torch::nn::ModuleDict());
  const auto layers = named_attention_layers(unet);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Attention attention = layers[i].second;
    if (attention->options().cross_attention_dim == 0) continue;
    auto processor = std::make_shared<IPAttnProcessor>(attention->options().cross_attention_dim,
                                                       attention->to_k->weight.size(0), config.num_queries);
    ip_adapter->update({{std::to_string(i), processor}});
    attention->set_processor(processor);
    processors_.push_back(processor);
  }
}

at::Tensor IPAdapterImpl::image_tokens(const at::Tensor& embeddings) {
  if (embeddings.size(-1) != config_.embedding_dim) {
    throw Error(ErrorCode::invalid_input, "face embeddings are " + std::to_string(embeddings.size(-1)) +
                                              " wide; the identity adapter takes " + std::to_string(config_.embedding_dim),
                {}, "use the embedder the adapter was trained with (ArcFace, 512)");
  }
  return image_proj->forward(embeddings);
}

at::Tensor IPAdapterImpl::context(const at::Tensor& text, const at::Tensor& tokens) const {
  return at::cat({text, tokens.to(text.scalar_type())}, 1);
}

void IPAdapterImpl::set_scale(double scale) {
  for (auto& processor : processors_) processor->scale = scale;
}

}  // namespace wf::diffusion
