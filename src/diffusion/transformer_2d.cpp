#include "diffusion/transformer_2d.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "diffusion/resnet.h"

namespace wf::diffusion {

namespace F = torch::nn::functional;

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t mult) {
  const int64_t inner = dim * mult;
  auto net = register_module("net", torch::nn::ModuleList());
  auto geglu = std::make_shared<torch::nn::Module>();  // net.0: GEGLU, a projection to value and gate
  proj = geglu->register_module("proj", AdaptableLinear(dim, inner * 2, true));
  net->push_back(geglu);
  net->push_back(torch::nn::Identity());  // net.1: dropout (no parameters, identity at inference)
  out = AdaptableLinear(inner, dim, true);
  net->push_back(out);
}

at::Tensor FeedForwardImpl::forward(const at::Tensor& x) {
  const auto parts = proj->forward(x).chunk(2, -1);
  return out->forward(parts[0] * F::gelu(parts[1]));
}

BasicTransformerBlockImpl::BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t dim_head,
                                                     int64_t cross_attention_dim, bool upcast) {
  const auto layer_norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5)); };
  AttentionOptions self{.query_dim = dim, .heads = heads, .dim_head = dim_head, .upcast = upcast};
  AttentionOptions cross = self;
  cross.cross_attention_dim = cross_attention_dim;
  norm1 = register_module("norm1", layer_norm());
  attn1 = register_module("attn1", Attention(self));
  norm2 = register_module("norm2", layer_norm());
  attn2 = register_module("attn2", Attention(cross));
  norm3 = register_module("norm3", layer_norm());
  ff = register_module("ff", FeedForward(dim, 4));
}

at::Tensor BasicTransformerBlockImpl::forward(at::Tensor x, const at::Tensor& context) {
  x = x + attn1->forward(norm1->forward(x));
  x = x + attn2->forward(norm2->forward(x), context);
  return x + ff->forward(norm3->forward(x));
}

Transformer2DModelImpl::Transformer2DModelImpl(const Transformer2DOptions& o)
    : use_linear_projection_(o.use_linear_projection) {
  norm = register_module("norm", group_norm(o.groups, o.channels, 1e-6));
  if (o.use_linear_projection) {
    proj_in = register_module("proj_in", AdaptableLinear(o.channels, o.channels, true).ptr());
  } else {
    proj_in = register_module("proj_in", conv2d(o.channels, o.channels, 1).ptr());
  }
  transformer_blocks = register_module(
      "transformer_blocks",
      torch::nn::ModuleList(BasicTransformerBlock(o.channels, o.heads, o.channels / o.heads, o.cross_attention_dim, o.upcast)));
  if (o.use_linear_projection) {
    proj_out = register_module("proj_out", AdaptableLinear(o.channels, o.channels, true).ptr());
  } else {
    proj_out = register_module("proj_out", conv2d(o.channels, o.channels, 1).ptr());
  }
}

at::Tensor Transformer2DModelImpl::forward(const at::Tensor& x, const at::Tensor& context) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  at::Tensor t = norm->forward(x);
  auto project = [&](const std::shared_ptr<torch::nn::Module>& m, const at::Tensor& in) {
    return use_linear_projection_ ? m->as<AdaptableLinear>()->forward(in) : m->as<AdaptableConv2d>()->forward(in);
  };
  if (use_linear_projection_) {
    t = project(proj_in, t.flatten(2).transpose(1, 2));  // [B, HW, C]
  } else {
    t = project(proj_in, t).flatten(2).transpose(1, 2);
  }
  for (const auto& block : *transformer_blocks) t = block->as<BasicTransformerBlock>()->forward(t, context);
  if (use_linear_projection_) {
    t = project(proj_out, t).transpose(1, 2).reshape({b, c, h, w});
  } else {
    t = project(proj_out, t.transpose(1, 2).reshape({b, c, h, w}));
  }
  return t + x;
}

}  // namespace wf::diffusion
