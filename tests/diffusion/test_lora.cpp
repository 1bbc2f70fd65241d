// LoRA on the UNet and the text encoder: a no-op at step 0 on linear and convolution layers, the rank-16
// parameter count of SD 1.5's attention, merge and unmerge, only LoRA weights training, and files in
// diffusers/peft and kohya formats (convolutions and text encoder too) that load to the same output.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/safetensors.h"
#include "core/state_dict.h"
#include "diffusion/clip_text_model.h"
#include "diffusion/lora.h"
#include "diffusion/unet_2d_condition.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

struct Inputs {
  at::Tensor latents = torch::randn({2, 4, 8, 8}), context = torch::randn({2, 5, 32}), t = torch::tensor({40, 700});
};

at::Tensor run(UNet2DConditionModel& unet, const Inputs& in) {
  torch::NoGradGuard no_grad;
  return unet->forward(in.latents, in.t, in.context);
}

void perturb(LoraSet& set) {
  torch::NoGradGuard no_grad;
  for (auto& p : set.parameters()) p.normal_(0.0, 0.1);
}

TEST(Lora, IsANoOpAtStepZeroAndOnlyItsWeightsTrain) {
  torch::manual_seed(0);
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  const Inputs in;
  const at::Tensor plain = run(unet, in);
  std::map<std::string, at::Tensor> base;
  for (const auto& [key, value] : core::module_state(*unet)) base[key] = value.clone();
  LoraSet lora = LoraSet::inject(*unet, {.rank = 4, .alpha = 4});
  EXPECT_EQ(lora.size(), 4u * 2u * 4u);  // 4 transformers x (attn1, attn2) x (to_q, to_k, to_v, to_out.0)
  EXPECT_TRUE(run(unet, in).equal(plain));

  for (auto& p : unet->parameters()) p.set_requires_grad(false);
  for (auto& p : lora.parameters()) p.set_requires_grad(true);
  torch::optim::AdamW optimizer(lora.parameters(), torch::optim::AdamWOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    optimizer.zero_grad();
    unet->forward(in.latents, in.t, in.context).sub(1).square().mean().backward();
    optimizer.step();
  }
  for (const auto& [key, value] : core::module_state(*unet)) {
    if (key.find(".lora.") == std::string::npos) {
      EXPECT_TRUE(value.equal(base.at(key))) << key << " changed";
    }
  }
  EXPECT_GT(lora.parameters()[1].abs().sum().item<double>(), 0.0);  // B left zero
}

TEST(Lora, Rank16OnSd15AttentionHasTheFormulasParameterCount) {
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet;
  const LoraSet lora = LoraSet::inject(*unet, {});
  int64_t count = 0;
  for (const auto& p : lora.parameters()) count += p.numel();
  // r (in + out) per adapted layer. A transformer of width C has attn1 (q, k, v, out: C -> C) and attn2 (q, out:
  // C -> C; k, v: 768 -> C): r (8C + 6C + 2 x 768). SD 1.5 has 5 transformers at 320, 5 at 640 and 6 at 1280.
  const int64_t r = 16;
  auto transformer = [&](int64_t c) { return r * (14 * c + 2 * 768); };
  EXPECT_EQ(count, 5 * transformer(320) + 5 * transformer(640) + 6 * transformer(1280));
  EXPECT_EQ(count, 3188736);
  EXPECT_EQ(lora.size(), 128u);
}

TEST(Lora, MergeAndUnmergeRestoreTheBaseWeights) {
  torch::manual_seed(1);
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  const Inputs in;
  std::map<std::string, at::Tensor> base;
  for (const auto& [key, value] : core::module_state(*unet)) base[key] = value.clone();
  LoraSet lora = LoraSet::inject(*unet, {.rank = 4, .alpha = 8});
  perturb(lora);
  const at::Tensor adapted = run(unet, in);
  lora.merge();
  EXPECT_TRUE(torch::allclose(run(unet, in), adapted, 1e-4, 1e-5));
  EXPECT_FALSE(core::module_state(*unet)
                   .at("mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight")
                   .equal(base.at("mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight")));
  lora.unmerge();
  for (const auto& [key, value] : core::module_state(*unet)) {
    if (base.count(key)) {
      EXPECT_LT((value - base.at(key)).abs().max().item<double>(), 1e-6) << key;
    }
  }
  lora.set_scale(0.0);
  EXPECT_TRUE(torch::allclose(run(unet, in), run(unet, in)));
  lora.remove();
  EXPECT_EQ(core::module_state(*unet).size(), base.size());
}

TEST(Lora, PeftAndKohyaFilesLoadToTheSameOutput) {
  torch::manual_seed(2);
  test::TempDir dir;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  const Inputs in;
  const at::Tensor plain = run(unet, in);
  LoraSet trained = LoraSet::inject(*unet, {.rank = 4, .alpha = 8});
  perturb(trained);
  const at::Tensor adapted = run(unet, in);
  trained.save(dir / "pytorch_lora_weights.safetensors");
  trained.remove();
  EXPECT_TRUE(run(unet, in).equal(plain));

  const auto file = core::load_safetensors(dir / "pytorch_lora_weights.safetensors");
  EXPECT_TRUE(file.count("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight"));
  EXPECT_TRUE(file.count("unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0.lora_B.weight"));
  const auto config = core::read_json_file(dir / "adapter_config.json");
  EXPECT_EQ(config.at("r"), 4);
  EXPECT_EQ(config.at("lora_alpha"), 8.0);

  LoraSet peft = LoraSet::load(*unet, dir / "pytorch_lora_weights.safetensors");
  EXPECT_TRUE(torch::allclose(run(unet, in), adapted, 1e-6, 1e-7));
  peft.remove();

  // The same weights in kohya's layout, with alpha stored per layer.
  core::StateDict kohya;
  for (const auto& [key, value] : file) {
    std::string path = key.substr(5, key.size() - 5 - std::string(".lora_A.weight").size());
    std::replace(path.begin(), path.end(), '.', '_');
    const bool down = key.find(".lora_A.") != std::string::npos;
    kohya["lora_unet_" + path + (down ? ".lora_down.weight" : ".lora_up.weight")] = value;
    kohya["lora_unet_" + path + ".alpha"] = torch::tensor(8.0);
  }
  kohya["lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha"] = torch::tensor(8.0);  // ignored, with a warning
  test::TempDir other;
  core::save_safetensors(other / "style.safetensors", kohya);
  LoraSet from_kohya = LoraSet::load(*unet, other / "style.safetensors");
  EXPECT_TRUE(torch::allclose(run(unet, in), adapted, 1e-6, 1e-7));
}

TEST(Lora, FilesThatDoNotFitNameTheirFirstKeys) {
  torch::manual_seed(3);
  test::TempDir dir;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  auto message_of = [&](const core::StateDict& tensors) {
    core::save_safetensors(dir / "bad.safetensors", tensors);
    try {
      LoraSet::load(*unet, dir / "bad.safetensors");
    } catch (const Error& e) {
      EXPECT_EQ(e.path(), dir / "bad.safetensors");
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  const std::string layer = "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
  EXPECT_NE(message_of({{"unet.decoder.conv_in.lora_A.weight", torch::zeros({4, 32})}})
                .find("unet.decoder.conv_in.lora_A.weight"),
            std::string::npos);
  EXPECT_NE(
      message_of({{layer + ".lora_A.weight", torch::zeros({4, 32})}, {layer + ".lora_B.weight", torch::zeros({32, 8})}})
          .find("different ranks"),
      std::string::npos);
  // Another base: a 48-wide layer where this model's is 32 wide.
  EXPECT_NE(
      message_of({{layer + ".lora_A.weight", torch::zeros({4, 48})}, {layer + ".lora_B.weight", torch::zeros({48, 4})}})
          .find("made for a 48 -> 48 layer"),
      std::string::npos);
  EXPECT_THROW(LoraSet::inject(*unet, {.target_modules = {"q_proj"}}), Error);
}

// Every kind of layer LoRA reaches: attention projections, feed-forward, 1x1 projections, 3x3 and 1x1 ResNet
// convolutions, the time-embedding projection, and the text encoder's attention.
LoraConfig everything(int64_t rank, double alpha) {
  return {.rank = rank,
          .alpha = alpha,
          .target_modules = {"to_q", "to_k", "to_v", "to_out.0", "ff.net.0.proj", "ff.net.2", "proj_in", "proj_out",
                             "conv1", "conv2", "conv_shortcut", "time_emb_proj"},
          .text_encoder_target_modules = kTextEncoderAttentionModules};
}

CLIPTextModel tiny_text_encoder() {
  return CLIPTextModel(CLIPTextConfig{.vocab_size = 100,
                                      .hidden_size = 32,
                                      .intermediate_size = 64,
                                      .num_hidden_layers = 2,
                                      .num_attention_heads = 4,
                                      .max_position_embeddings = 77});
}

TEST(Lora, ConvolutionAndTextEncoderLorasAreNoOpsAtFirstAndMergeBack) {
  torch::manual_seed(4);
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  CLIPTextModel text = tiny_text_encoder();
  const Inputs in;
  const at::Tensor ids = torch::randint(0, 100, {2, 77}, torch::kLong);
  torch::NoGradGuard no_grad;
  const at::Tensor plain = run(unet, in), plain_text = text->forward(ids);
  std::map<std::string, at::Tensor> base;
  for (const auto& [key, value] : core::module_state(*unet)) base[key] = value.clone();
  LoraSet lora = LoraSet::inject(*unet, everything(4, 8), text.get());
  const auto names = lora.layer_names();
  for (const char* layer : {"unet.down_blocks.0.resnets.0.conv1", "unet.up_blocks.0.resnets.0.conv_shortcut",
                            "unet.down_blocks.0.attentions.0.proj_in", "unet.mid_block.resnets.1.time_emb_proj",
                            "text_encoder.text_model.encoder.layers.1.self_attn.out_proj"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), layer), names.end()) << layer;
  }
  EXPECT_TRUE(run(unet, in).equal(plain));
  EXPECT_TRUE(text->forward(ids).equal(plain_text));

  perturb(lora);
  const at::Tensor adapted = run(unet, in), adapted_text = text->forward(ids);
  EXPECT_FALSE(torch::allclose(adapted, plain, 1e-3, 1e-3));
  lora.merge();
  EXPECT_TRUE(torch::allclose(run(unet, in), adapted, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(text->forward(ids), adapted_text, 1e-4, 1e-5));
  lora.unmerge();
  for (const auto& [key, value] : core::module_state(*unet)) {
    if (base.count(key)) {
      EXPECT_LT((value - base.at(key)).abs().max().item<double>(), 1e-6) << key;
    }
  }
  // The weights come back to within float rounding, so the outputs agree as closely as the merged ones did (on
  // AVX2 without AVX-512 the largest difference is 2e-6).
  const at::Tensor unmerged = run(unet, in);
  EXPECT_TRUE(torch::allclose(unmerged, adapted, 1e-4, 1e-5)) << (unmerged - adapted).abs().max().item<double>();
}

TEST(Lora, ConvolutionAndTextEncoderWeightsLoadFromPeftAndKohyaFiles) {
  torch::manual_seed(5);
  test::TempDir dir;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  CLIPTextModel text = tiny_text_encoder();
  const Inputs in;
  const at::Tensor ids = torch::randint(0, 100, {2, 77}, torch::kLong);
  LoraSet trained = LoraSet::inject(*unet, everything(4, 2), text.get());
  perturb(trained);
  const at::Tensor adapted = run(unet, in);
  const at::Tensor adapted_text = [&] {
    torch::NoGradGuard no_grad;
    return text->forward(ids);
  }();
  trained.save(dir / "pytorch_lora_weights.safetensors");
  trained.remove();
  const auto file = core::load_safetensors(dir / "pytorch_lora_weights.safetensors");
  EXPECT_EQ(file.at("unet.down_blocks.0.resnets.0.conv1.lora_A.weight").sizes(), (std::vector<int64_t>{4, 32, 3, 3}));
  EXPECT_EQ(file.at("unet.down_blocks.0.resnets.0.conv1.lora_B.weight").sizes(), (std::vector<int64_t>{32, 4, 1, 1}));
  EXPECT_TRUE(file.count("text_encoder.text_model.encoder.layers.0.self_attn.k_proj.lora_A.weight"));
  // Alpha (2, not the rank) travels in diffusers' lora_adapter_metadata even without adapter_config.json.
  std::filesystem::remove(dir / "adapter_config.json");
  const core::SafetensorsFile header(dir / "pytorch_lora_weights.safetensors");
  const auto metadata = nlohmann::json::parse(header.metadata().at("lora_adapter_metadata"));
  EXPECT_EQ(metadata.at("unet.lora_alpha"), 2.0);
  EXPECT_EQ(metadata.at("text_encoder.target_modules"), nlohmann::json(kTextEncoderAttentionModules));
  {
    LoraSet peft = LoraSet::load(*unet, dir / "pytorch_lora_weights.safetensors", text.get());
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::allclose(run(unet, in), adapted, 1e-6, 1e-7));
    EXPECT_TRUE(torch::allclose(text->forward(ids), adapted_text, 1e-6, 1e-7));
    peft.remove();
  }
  // kohya's names for the same weights (lora_unet_ / lora_te_, alpha per layer), 1x1 convolutions stored 2-D
  // as some trainers do.
  core::StateDict kohya;
  for (const auto& [key, value] : file) {
    const bool te = key.rfind("text_encoder.", 0) == 0;
    std::string path = key.substr(te ? 13 : 5, key.size() - (te ? 13 : 5) - std::string(".lora_A.weight").size());
    std::replace(path.begin(), path.end(), '.', '_');
    const std::string name = (te ? "lora_te_" : "lora_unet_") + path;
    const bool down = key.find(".lora_A.") != std::string::npos;
    const bool pointwise = value.dim() == 4 && value.size(2) == 1 && value.size(3) == 1;
    kohya[name + (down ? ".lora_down.weight" : ".lora_up.weight")] = pointwise ? value.flatten(1) : value;
    kohya[name + ".alpha"] = torch::tensor(2.0);
  }
  core::save_safetensors(dir / "kohya.safetensors", kohya);
  LoraSet from_kohya = LoraSet::load(*unet, dir / "kohya.safetensors", text.get());
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(run(unet, in), adapted, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(text->forward(ids), adapted_text, 1e-6, 1e-7));
}

TEST(Lora, AKohyaFileOfMixedRanksSavesAsPeftPatternsAndLoadsBackTheSame) {
  torch::manual_seed(6);
  test::TempDir dir;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  const Inputs in;
  // Rank 4 (alpha 4) everywhere but one layer of rank 2 and alpha 8.
  LoraSet made = LoraSet::inject(*unet, {.rank = 4, .alpha = 4});
  perturb(made);
  made.save(dir / "peft.safetensors");
  made.remove();
  core::StateDict kohya;
  const std::string odd = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
  for (const auto& [key, value] : core::load_safetensors(dir / "peft.safetensors")) {
    std::string path = key.substr(5, key.size() - 5 - std::string(".lora_A.weight").size());
    const bool down = key.find(".lora_A.") != std::string::npos;
    const at::Tensor tensor = path == odd ? (down ? value.slice(0, 0, 2) : value.slice(1, 0, 2)) : value;
    std::string name = path;
    std::replace(name.begin(), name.end(), '.', '_');
    kohya["lora_unet_" + name + (down ? ".lora_down.weight" : ".lora_up.weight")] = tensor.contiguous();
    kohya["lora_unet_" + name + ".alpha"] = torch::tensor(path == odd ? 8.0 : 4.0);
  }
  core::save_safetensors(dir / "kohya" / "mixed.safetensors", kohya);
  LoraSet loaded = LoraSet::load(*unet, dir / "kohya" / "mixed.safetensors");
  const at::Tensor expected = run(unet, in);
  EXPECT_EQ(loaded.config().rank, 4);
  loaded.save(dir / "again" / "pytorch_lora_weights.safetensors");
  loaded.remove();
  const auto config = core::read_json_file(dir / "again" / "adapter_config.json");
  EXPECT_EQ(config.at("rank_pattern"), nlohmann::json({{odd, 2}}));
  EXPECT_EQ(config.at("alpha_pattern"), nlohmann::json({{odd, 8.0}}));
  std::filesystem::remove(dir / "again" / "adapter_config.json");  // the file's own metadata must be enough
  LoraSet again = LoraSet::load(*unet, dir / "again" / "pytorch_lora_weights.safetensors");
  EXPECT_TRUE(torch::allclose(run(unet, in), expected, 1e-6, 1e-7));
}

TEST(Lora, OtherLoraVariantsAreNamedAsUnsupported) {
  test::TempDir dir;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  core::save_safetensors(dir / "loha.safetensors",
                         {{"lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a", torch::zeros({4, 4})}});
  try {
    LoraSet::load(*unet, dir / "loha.safetensors");
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("hada_w1_a"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wf::diffusion
