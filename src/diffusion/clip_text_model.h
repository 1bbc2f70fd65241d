#pragma once
// transformers' CLIPTextModel (Stable Diffusion's text encoder), module for module so a
// `text_encoder/model.safetensors` loads key for key: text_model.embeddings.{token,position}_embedding,
// text_model.encoder.layers.N.{self_attn.{q,k,v,out}_proj, layer_norm1, mlp.fc1, mlp.fc2, layer_norm2},
// text_model.final_layer_norm. (Older files also hold the `position_ids` buffer; loaders drop it.)

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <filesystem>
#include <nlohmann/json_fwd.hpp>

#include "diffusion/adaptable_layer.h"

namespace wf::diffusion {

struct CLIPTextConfig {
  int64_t vocab_size = 49408, hidden_size = 768, intermediate_size = 3072;
  int64_t num_hidden_layers = 12, num_attention_heads = 12, max_position_embeddings = 77;
  double layer_norm_eps = 1e-5;  // the defaults are SD 1.5's (CLIP ViT-L/14's text tower)

  static CLIPTextConfig from_json(const nlohmann::json& value, const std::filesystem::path& source = {});
};

class CLIPAttentionImpl : public torch::nn::Module {
 public:
  CLIPAttentionImpl(int64_t hidden, int64_t heads);
  at::Tensor forward(const at::Tensor& x);  // causal

 private:
  int64_t heads_;
  AdaptableLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};  // LoRA attaches here
};
TORCH_MODULE(CLIPAttention);

class CLIPEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit CLIPEncoderLayerImpl(const CLIPTextConfig& config);
  at::Tensor forward(const at::Tensor& x);

 private:
  CLIPAttention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  std::shared_ptr<torch::nn::Module> mlp;
  AdaptableLinear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(CLIPEncoderLayer);

class CLIPTextModelImpl : public torch::nn::Module {
 public:
  explicit CLIPTextModelImpl(const CLIPTextConfig& config = {});
  // Token ids [B, 77] -> the last hidden state [B, 77, hidden] after the final layer norm. With clip_skip
  // k > 0, the hidden state k layers before the last one (final layer norm applied, as diffusers does).
  at::Tensor forward(const at::Tensor& input_ids, int64_t clip_skip = 0);

 private:
  std::shared_ptr<torch::nn::Module> text_model, embeddings, encoder;
  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(CLIPTextModel);

}  // namespace wf::diffusion
