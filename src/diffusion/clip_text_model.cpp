#include "diffusion/clip_text_model.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/torch_compat.h"

namespace wf::diffusion {

CLIPTextConfig CLIPTextConfig::from_json(const nlohmann::json& value, const std::filesystem::path& source) {
  CLIPTextConfig c;
  try {
    c.vocab_size = value.value("vocab_size", c.vocab_size);
    c.hidden_size = value.value("hidden_size", c.hidden_size);
    c.intermediate_size = value.value("intermediate_size", c.intermediate_size);
    c.num_hidden_layers = value.value("num_hidden_layers", c.num_hidden_layers);
    c.num_attention_heads = value.value("num_attention_heads", c.num_attention_heads);
    c.max_position_embeddings = value.value("max_position_embeddings", c.max_position_embeddings);
    c.layer_norm_eps = value.value("layer_norm_eps", c.layer_norm_eps);
    const std::string act = value.value("hidden_act", std::string("quick_gelu"));
    if (act != "quick_gelu") {
      throw Error(ErrorCode::unsupported, "text encoder activation '" + act + "' is not supported", source,
                  "use a Stable Diffusion 1.x text encoder (quick_gelu)");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed text encoder config: ") + e.what(), source);
  }
  if (c.num_attention_heads < 1 || c.hidden_size % c.num_attention_heads != 0) {
    throw Error(ErrorCode::corrupt_file, "hidden_size must be a multiple of num_attention_heads", source);
  }
  return c;
}

CLIPAttentionImpl::CLIPAttentionImpl(int64_t hidden, int64_t heads) : heads_(heads) {
  k_proj = register_module("k_proj", AdaptableLinear(hidden, hidden, true));
  v_proj = register_module("v_proj", AdaptableLinear(hidden, hidden, true));
  q_proj = register_module("q_proj", AdaptableLinear(hidden, hidden, true));
  out_proj = register_module("out_proj", AdaptableLinear(hidden, hidden, true));
}

at::Tensor CLIPAttentionImpl::forward(const at::Tensor& x) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2);
  auto split = [&](const at::Tensor& t) { return t.view({b, n, heads_, c / heads_}).transpose(1, 2); };
  const at::Tensor attended = core::scaled_dot_product_attention(split(q_proj->forward(x)), split(k_proj->forward(x)),
                                                                 split(v_proj->forward(x)), std::nullopt, 0.0, true);
  return out_proj->forward(attended.transpose(1, 2).reshape({b, n, c}));
}

CLIPEncoderLayerImpl::CLIPEncoderLayerImpl(const CLIPTextConfig& config) {
  self_attn = register_module("self_attn", CLIPAttention(config.hidden_size, config.num_attention_heads));
  const auto norm = torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps);
  layer_norm1 = register_module("layer_norm1", torch::nn::LayerNorm(norm));
  mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  fc1 = mlp->register_module("fc1", AdaptableLinear(config.hidden_size, config.intermediate_size, true));
  fc2 = mlp->register_module("fc2", AdaptableLinear(config.intermediate_size, config.hidden_size, true));
  layer_norm2 = register_module("layer_norm2", torch::nn::LayerNorm(norm));
}

at::Tensor CLIPEncoderLayerImpl::forward(const at::Tensor& x) {
  const at::Tensor h = x + self_attn->forward(layer_norm1->forward(x));
  const at::Tensor up = fc1->forward(layer_norm2->forward(h));
  return h + fc2->forward(up * at::sigmoid(1.702 * up));  // quick GELU
}

CLIPTextModelImpl::CLIPTextModelImpl(const CLIPTextConfig& config) {
  text_model = register_module("text_model", std::make_shared<torch::nn::Module>());
  embeddings = text_model->register_module("embeddings", std::make_shared<torch::nn::Module>());
  token_embedding = embeddings->register_module("token_embedding", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  position_embedding = embeddings->register_module(
      "position_embedding", torch::nn::Embedding(config.max_position_embeddings, config.hidden_size));
  encoder = text_model->register_module("encoder", std::make_shared<torch::nn::Module>());
  layers = encoder->register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers->push_back(CLIPEncoderLayer(config));
  final_layer_norm = text_model->register_module(
      "final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
}

at::Tensor CLIPTextModelImpl::forward(const at::Tensor& input_ids, int64_t clip_skip) {
  const auto length = input_ids.size(1);
  if (length > position_embedding->weight.size(0)) {
    throw Error(ErrorCode::invalid_input, "the prompt has " + std::to_string(length) + " tokens; the text encoder takes " +
                                              std::to_string(position_embedding->weight.size(0)));
  }
  const auto last = static_cast<int64_t>(layers->size()) - clip_skip;
  if (clip_skip < 0 || last < 1) throw Error(ErrorCode::invalid_input, "clip_skip must leave at least one layer");
  const at::Tensor positions = at::arange(length, input_ids.options().dtype(at::kLong));
  at::Tensor x = token_embedding->forward(input_ids) + position_embedding->forward(positions).unsqueeze(0);
  for (int64_t i = 0; i < last; ++i) x = layers[static_cast<std::size_t>(i)]->as<CLIPEncoderLayer>()->forward(x);
  return final_layer_norm->forward(x);
}

}  // namespace wf::diffusion
