// LoRA on the UNet: a no-op at step 0, the rank-16 parameter count of SD 1.5's attention, merge and unmerge,
// only LoRA weights training, and files in diffusers/peft and kohya formats that load to the same output.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/state_dict.h"
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
  UNet2DConditionModel unet(test::tiny_unet_config());
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
  UNet2DConditionModel unet(test::tiny_unet_config());
  const Inputs in;
  std::map<std::string, at::Tensor> base;
  for (const auto& [key, value] : core::module_state(*unet)) base[key] = value.clone();
  LoraSet lora = LoraSet::inject(*unet, {.rank = 4, .alpha = 8});
  perturb(lora);
  const at::Tensor adapted = run(unet, in);
  lora.merge();
  EXPECT_TRUE(torch::allclose(run(unet, in), adapted, 1e-4, 1e-5));
  EXPECT_FALSE(core::module_state(*unet).at("mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight").equal(
      base.at("mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight")));
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
  UNet2DConditionModel unet(test::tiny_unet_config());
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
  UNet2DConditionModel unet(test::tiny_unet_config());
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
  EXPECT_NE(message_of({{"unet.decoder.conv_in.lora_A.weight", torch::zeros({4, 32})}}).find("unet.decoder.conv_in.lora_A.weight"),
            std::string::npos);
  EXPECT_NE(message_of({{layer + ".lora_A.weight", torch::zeros({4, 32})}, {layer + ".lora_B.weight", torch::zeros({32, 8})}})
                .find("different ranks"),
            std::string::npos);
  // Another base: a 48-wide layer where this model's is 32 wide.
  EXPECT_NE(message_of({{layer + ".lora_A.weight", torch::zeros({4, 48})}, {layer + ".lora_B.weight", torch::zeros({48, 4})}})
                .find("made for a 48 -> 48 layer"),
            std::string::npos);
  EXPECT_THROW(LoraSet::inject(*unet, {.target_modules = {"q_proj"}}), Error);
}

}  // namespace
}  // namespace wf::diffusion
