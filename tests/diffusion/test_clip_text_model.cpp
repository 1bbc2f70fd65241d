// CLIPTextModel: SD 1.5's text encoder size and key names, and a tiny configuration that is causal, runs
// backward, honours clip_skip and round-trips through safetensors.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/state_dict.h"
#include "diffusion/clip_text_model.h"
#include "support/temp_dir.h"

namespace wf::diffusion {
namespace {

CLIPTextConfig tiny() {
  return CLIPTextConfig::from_json(nlohmann::json::parse(R"({"vocab_size": 1000, "hidden_size": 32,
    "intermediate_size": 37, "num_hidden_layers": 5, "num_attention_heads": 4, "max_position_embeddings": 77,
    "hidden_act": "quick_gelu"})"));
}

TEST(CLIPTextModel, Sd15ConfigurationHasTheTextEncodersSizeAndKeys) {
  CLIPTextModel model;
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  EXPECT_EQ(parameters, 123060480);
  const auto state = core::module_state(*model);
  for (const char* key : {"text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
                          "text_model.encoder.layers.0.self_attn.q_proj.weight", "text_model.encoder.layers.11.self_attn.out_proj.bias",
                          "text_model.encoder.layers.5.layer_norm1.weight", "text_model.encoder.layers.5.mlp.fc1.weight",
                          "text_model.encoder.layers.5.mlp.fc2.bias", "text_model.encoder.layers.5.layer_norm2.bias",
                          "text_model.final_layer_norm.weight"}) {
    EXPECT_TRUE(state.count(key)) << key;
  }
  EXPECT_EQ(state.size(), 196u);  // 2 embeddings + 12 layers x 16 + final norm x 2
}

TEST(CLIPTextModel, TinyConfigurationIsCausalTrainableAndRoundTrips) {
  torch::manual_seed(0);
  CLIPTextModel model(tiny());
  const at::Tensor ids = torch::randint(0, 1000, {2, 77}, torch::kLong);
  const at::Tensor out = model->forward(ids);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 77, 32}));
  at::Tensor changed = ids.clone();
  changed.index_put_({torch::indexing::Slice(), 40}, (ids.index({torch::indexing::Slice(), 40}) + 1) % 1000);
  const at::Tensor again = model->forward(changed);
  EXPECT_TRUE(again.slice(1, 0, 40).allclose(out.slice(1, 0, 40), 1e-5, 1e-6));  // tokens never see later ones
  EXPECT_FALSE(again.slice(1, 40).allclose(out.slice(1, 40), 1e-5, 1e-6));
  EXPECT_FALSE(model->forward(ids, 1).allclose(out));
  out.pow(2).mean().backward();
  for (const auto& p : model->named_parameters()) ASSERT_TRUE(p.value().grad().defined()) << p.key();

  test::TempDir dir;
  core::save_safetensors(dir / "model.safetensors", core::module_state(*model));
  torch::manual_seed(5);
  CLIPTextModel loaded(tiny());
  core::load_state_dict(*loaded, core::load_safetensors(dir / "model.safetensors"), true, dir / "model.safetensors");
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(loaded->forward(ids).equal(model->forward(ids)));
}

TEST(CLIPTextModel, TooManyTokensAndBadConfigsAreClearErrors) {
  CLIPTextModel model(tiny());
  EXPECT_THROW(model->forward(torch::zeros({1, 78}, torch::kLong)), Error);
  EXPECT_THROW(model->forward(torch::zeros({1, 77}, torch::kLong), 5), Error);
  EXPECT_THROW(CLIPTextConfig::from_json(nlohmann::json{{"hidden_act", "gelu"}}), Error);
  EXPECT_THROW(CLIPTextConfig::from_json(nlohmann::json{{"hidden_size", 30}, {"num_attention_heads", 4}}), Error);
}

}  // namespace
}  // namespace wf::diffusion
