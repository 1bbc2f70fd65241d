// UNet2DConditionModel: the Stable Diffusion 1.5 UNet's size and key names, and tiny configurations (the kind
// diffusers tests with) that run forward and backward, keep batch items apart, take ControlNet residuals and
// the 9-channel inpainting input, and round-trip their weights through safetensors.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/state_dict.h"
#include "diffusion/attention.h"
#include "diffusion/unet_2d_condition.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

UNet2DConditionConfig tiny(int64_t in_channels = 4) {
  return diffusion::UNet2DConditionConfig::tiny(in_channels);
}

int64_t count_parameters(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

TEST(UNet2DConditionModel, Sd15ConfigurationHasTheUNetsSizeAndKeys) {
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet;  // the defaults are SD 1.5's unet/config.json
  EXPECT_EQ(count_parameters(*unet), 859520964);
  const auto state = core::module_state(*unet);
  EXPECT_EQ(state.size(), 686u);
  const std::map<std::string, std::vector<int64_t>> expected{
      {"conv_in.weight", {320, 4, 3, 3}},
      {"time_embedding.linear_1.weight", {1280, 320}},
      {"down_blocks.0.attentions.0.proj_in.weight", {320, 320, 1, 1}},
      {"down_blocks.0.attentions.1.transformer_blocks.0.attn2.to_k.weight", {320, 768}},
      {"down_blocks.1.resnets.0.conv_shortcut.weight", {640, 320, 1, 1}},
      {"down_blocks.2.attentions.0.transformer_blocks.0.ff.net.0.proj.weight", {10240, 1280}},
      {"down_blocks.2.downsamplers.0.conv.weight", {1280, 1280, 3, 3}},
      {"down_blocks.3.resnets.1.time_emb_proj.weight", {1280, 1280}},
      {"mid_block.attentions.0.transformer_blocks.0.attn1.to_out.0.bias", {1280}},
      {"mid_block.resnets.1.norm2.weight", {1280}},
      {"up_blocks.0.resnets.2.conv1.weight", {1280, 2560, 3, 3}},
      {"up_blocks.0.upsamplers.0.conv.weight", {1280, 1280, 3, 3}},
      {"up_blocks.1.resnets.2.conv1.weight", {1280, 1920, 3, 3}},
      {"up_blocks.3.resnets.0.conv1.weight", {320, 960, 3, 3}},
      {"up_blocks.3.attentions.2.transformer_blocks.0.ff.net.2.weight", {320, 1280}},
      {"up_blocks.3.attentions.2.proj_out.bias", {320}},
      {"conv_norm_out.weight", {320}},
      {"conv_out.weight", {4, 320, 3, 3}}};
  for (const auto& [key, shape] : expected) {
    ASSERT_TRUE(state.count(key)) << key;
    EXPECT_EQ(state.at(key).sizes(), shape) << key;
  }
  // Every key and shape of diffusers' SD 1.5 UNet (sd15_keys/, derived from diffusers' module names).
  std::ifstream list(std::filesystem::path(WF_SD15_KEYS_DIR) / "diffusers_unet_sd15.txt");
  std::string key, shape;
  std::size_t listed = 0;
  while (list >> key >> shape) {
    ++listed;
    ASSERT_TRUE(state.count(key)) << key;
    std::string ours;
    for (int64_t d : state.at(key).sizes()) ours += (ours.empty() ? "" : ",") + std::to_string(d);
    EXPECT_EQ(ours, shape) << key;
  }
  EXPECT_EQ(listed, state.size());
  EXPECT_FALSE(state.count("down_blocks.3.attentions.0.norm.weight"));  // DownBlock2D has no attention
  EXPECT_FALSE(state.count("up_blocks.3.upsamplers.0.conv.weight"));
  EXPECT_EQ(named_attention_layers(*unet).size(), 32u);  // 16 transformer blocks, attn1 and attn2 each
}

TEST(UNet2DConditionModel, TinyConfigurationRunsForwardAndBackwardAndRoundTrips) {
  torch::manual_seed(0);
  UNet2DConditionModel unet(tiny());
  const at::Tensor latents = torch::randn({2, 4, 16, 16});
  const at::Tensor context = torch::randn({2, 7, 32});
  const at::Tensor out = unet->forward(latents, torch::tensor({10, 900}), context);
  EXPECT_EQ(out.sizes(), latents.sizes());
  out.square().mean().backward();
  for (const auto& p : unet->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }

  test::TempDir dir;
  core::save_safetensors(dir / "unet.safetensors", core::module_state(*unet));
  torch::manual_seed(1);
  UNet2DConditionModel again(tiny());
  EXPECT_TRUE(
      core::load_state_dict(*again, core::load_safetensors(dir / "unet.safetensors"), true, dir / "unet.safetensors")
          .clean());
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(
      again->forward(latents, torch::tensor(500), context).equal(unet->forward(latents, torch::tensor(500), context)));
}

TEST(UNet2DConditionModel, BatchItemsAreIndependentAndTheContextAndTimestepMatter) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet(tiny());
  const at::Tensor latents = torch::randn({2, 4, 8, 8});
  const at::Tensor context = torch::randn({2, 5, 32});
  const at::Tensor both = unet->forward(latents, torch::tensor({3, 700}), context);
  const at::Tensor first = unet->forward(latents.slice(0, 0, 1), torch::tensor(3), context.slice(0, 0, 1));
  EXPECT_TRUE(torch::allclose(both.slice(0, 0, 1), first, 1e-4, 1e-5));
  const at::Tensor other_context = unet->forward(latents.slice(0, 0, 1), torch::tensor(3), torch::randn({1, 5, 32}));
  EXPECT_GT((other_context - first).abs().max().item<double>(), 1e-4);
  const at::Tensor other_time = unet->forward(latents.slice(0, 0, 1), torch::tensor(600), context.slice(0, 0, 1));
  EXPECT_GT((other_time - first).abs().max().item<double>(), 1e-4);
}

TEST(UNet2DConditionModel, TakesOddSizesInpaintingInputAndControlResiduals) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  UNet2DConditionModel inpaint(tiny(9));
  const at::Tensor odd = torch::randn({1, 9, 9, 7});  // one downsample: 9x7 -> 5x4 -> back to 9x7
  EXPECT_EQ(inpaint->forward(odd, torch::tensor(1), torch::randn({1, 3, 32})).sizes(),
            (std::vector<int64_t>{1, 4, 9, 7}));

  UNet2DConditionModel unet(tiny());
  const at::Tensor latents = torch::randn({1, 4, 8, 8});
  const at::Tensor context = torch::randn({1, 3, 32});
  const at::Tensor plain = unet->forward(latents, torch::tensor(5), context);
  // Skip connections: conv_in, one per resnet, one per downsampler (32, 32, 32, 64 channels).
  ControlResiduals zeros{{torch::zeros({1, 32, 8, 8}), torch::zeros({1, 32, 8, 8}), torch::zeros({1, 32, 4, 4}),
                          torch::zeros({1, 64, 4, 4})},
                         torch::zeros({1, 64, 4, 4})};
  EXPECT_TRUE(unet->forward(latents, torch::tensor(5), context, &zeros).equal(plain));
  ControlResiduals pushed = zeros;
  pushed.mid = torch::ones({1, 64, 4, 4});
  EXPECT_GT((unet->forward(latents, torch::tensor(5), context, &pushed) - plain).abs().max().item<double>(), 1e-4);
  ControlResiduals short_list{{zeros.down.front()}, zeros.mid};
  EXPECT_THROW(unet->forward(latents, torch::tensor(5), context, &short_list), Error);
  EXPECT_THROW(unet->forward(torch::randn({1, 9, 8, 8}), torch::tensor(5), context), Error);
  EXPECT_THROW(unet->forward(latents, torch::tensor(5), torch::randn({1, 3, 16})), Error);
}

TEST(UNet2DConditionModel, ConfigReaderFollowsDiffusers) {
  // SD 2.x lists heads per block and projects with Linear layers.
  const auto sd2 = UNet2DConditionConfig::from_json(nlohmann::json{
      {"attention_head_dim", {5, 10, 20, 20}}, {"use_linear_projection", true}, {"cross_attention_dim", 1024}});
  EXPECT_EQ(sd2.num_attention_heads, (std::vector<int64_t>{5, 10, 20, 20}));
  EXPECT_TRUE(sd2.use_linear_projection);
  EXPECT_THROW(UNet2DConditionConfig::from_json(nlohmann::json{{"down_block_types", {"SimpleCrossAttnDownBlock2D"}}}),
               Error);
  EXPECT_THROW(UNet2DConditionConfig::from_json(nlohmann::json{{"addition_embed_type", "text_time"}}), Error);
  EXPECT_THROW(UNet2DConditionConfig::from_json(nlohmann::json{{"attention_head_dim", {8, 8}}}), Error);
  EXPECT_THROW(UNet2DConditionConfig::from_json(nlohmann::json{{"layers_per_block", "two"}}), Error);
  const auto round_trip = UNet2DConditionConfig::from_json(tiny(9).to_json());
  EXPECT_EQ(round_trip.in_channels, 9);
  EXPECT_EQ(round_trip.block_out_channels, (std::vector<int64_t>{32, 64}));
}

}  // namespace
}  // namespace wf::diffusion
