#include "diffusion/attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "core/torch_compat.h"
#include "diffusion/resnet.h"

namespace wf::diffusion {

AttentionImpl::AttentionImpl(const AttentionOptions& options) : options_(options) {
  const int64_t inner = options.heads * options.dim_head;
  const int64_t context_dim = options.cross_attention_dim > 0 ? options.cross_attention_dim : options.query_dim;
  if (options.norm_num_groups > 0) {
    group_norm = register_module("group_norm", wf::diffusion::group_norm(options.norm_num_groups, options.query_dim,
                                                                         options.norm_eps));
  }
  to_q = register_module("to_q", AdaptableLinear(options.query_dim, inner, options.bias));
  to_k = register_module("to_k", AdaptableLinear(context_dim, inner, options.bias));
  to_v = register_module("to_v", AdaptableLinear(context_dim, inner, options.bias));
  to_out = register_module("to_out", torch::nn::ModuleList(AdaptableLinear(inner, options.query_dim, true)));
}

at::Tensor AttentionImpl::forward(const at::Tensor& hidden, const at::Tensor& context) {
  at::Tensor x = hidden;
  const bool spatial = hidden.dim() == 4;
  if (group_norm) x = group_norm->forward(x);
  if (spatial) x = x.flatten(2).transpose(1, 2);  // [B, HW, C]
  at::Tensor out = processor_ ? processor_->forward(*this, x, context) : default_forward(x, context);
  if (spatial) out = out.transpose(1, 2).reshape(hidden.sizes());
  return options_.residual_connection ? out + hidden : out;
}

at::Tensor AttentionImpl::default_forward(const at::Tensor& hidden, const at::Tensor& context) {
  const at::Tensor& source = context.defined() ? context : hidden;
  const at::Tensor attended = attend(to_q->forward(hidden), to_k->forward(source), to_v->forward(source));
  return to_out[0]->as<AdaptableLinear>()->forward(attended);
}

at::Tensor AttentionImpl::attend(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value) const {
  const int64_t heads = options_.heads;
  auto split = [&](const at::Tensor& t) {  // [B, N, heads * d] -> [B, heads, N, d]
    return t.view({t.size(0), t.size(1), heads, t.size(2) / heads}).transpose(1, 2);
  };
  const auto dtype = query.scalar_type();
  const bool upcast = options_.upcast && dtype != at::kFloat && dtype != at::kDouble;
  auto prepare = [&](const at::Tensor& t) { return split(upcast ? t.to(at::kFloat) : t); };
  at::Tensor out = core::scaled_dot_product_attention(prepare(query), prepare(key), prepare(value));
  out = out.transpose(1, 2).flatten(2);  // [B, N, heads * d]
  return upcast ? out.to(dtype) : out;
}

void AttentionImpl::set_processor(std::shared_ptr<AttentionProcessor> processor) {
  if (processor_) unregister_module("processor");
  processor_ = std::move(processor);
  if (processor_) register_module("processor", processor_);
}

std::vector<std::pair<std::string, Attention>> named_attention_layers(torch::nn::Module& model) {
  std::vector<std::pair<std::string, Attention>> out;
  for (const auto& item : model.named_modules()) {
    if (auto attention = std::dynamic_pointer_cast<AttentionImpl>(item.value())) out.emplace_back(item.key(), Attention(attention));
  }
  return out;
}

}  // namespace wf::diffusion
