// ControlNetModel: the SD 1.5 ControlNet's size and key names, from_unet starting as a no-op on the UNet,
// the residual scales (conditioning scale, guess mode), a tiny configuration's backward pass and safetensors
// round trip, and the control image's size check.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/state_dict.h"
#include "diffusion/controlnet.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

ControlNetConfig tiny() {
  ControlNetConfig config = ControlNetConfig::from_unet(diffusion::UNet2DConditionConfig::tiny());
  config.conditioning_embedding_out_channels = {8, 16};  // one strided block: control images at 2x the latents
  return config;
}

double max_abs(const at::Tensor& t) {
  return t.abs().max().item<double>();
}

TEST(ControlNetModel, Sd15ConfigurationHasTheControlNetsSizeAndKeys) {
  torch::NoGradGuard no_grad;
  ControlNetModel controlnet;  // SD 1.5's UNet encoder with the default conditioning embedding
  int64_t parameters = 0;
  for (const auto& p : controlnet->parameters()) parameters += p.numel();
  EXPECT_EQ(parameters, 361279120);
  const auto state = core::module_state(*controlnet);
  const std::map<std::string, std::vector<int64_t>> expected{
      {"controlnet_cond_embedding.conv_in.weight", {16, 3, 3, 3}},
      {"controlnet_cond_embedding.blocks.5.weight", {256, 96, 3, 3}},
      {"controlnet_cond_embedding.conv_out.weight", {320, 256, 3, 3}},
      {"controlnet_down_blocks.0.weight", {320, 320, 1, 1}},
      {"controlnet_down_blocks.11.weight", {1280, 1280, 1, 1}},
      {"controlnet_mid_block.weight", {1280, 1280, 1, 1}},
      {"down_blocks.2.attentions.1.transformer_blocks.0.attn2.to_v.weight", {1280, 768}},
      {"mid_block.resnets.1.conv2.weight", {1280, 1280, 3, 3}},
      {"time_embedding.linear_2.weight", {1280, 1280}}};
  for (const auto& [key, shape] : expected) {
    ASSERT_TRUE(state.count(key)) << key;
    EXPECT_EQ(state.at(key).sizes(), shape) << key;
  }
  EXPECT_FALSE(state.count("controlnet_down_blocks.12.weight"));
  EXPECT_FALSE(state.count("up_blocks.0.resnets.0.conv1.weight"));
}

TEST(ControlNetModel, FromUnetCopiesTheEncoderAndStartsAsANoOp) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  ControlNetModel controlnet = controlnet_from_unet(unet);
  const auto unet_state = core::module_state(*unet);
  for (const auto& [key, value] : core::module_state(*controlnet)) {
    if (key.rfind("controlnet_", 0) == 0) continue;
    ASSERT_TRUE(unet_state.count(key)) << key;
    EXPECT_TRUE(value.equal(unet_state.at(key))) << key;
  }
  const at::Tensor latents = torch::randn({1, 4, 16, 16});
  const at::Tensor context = torch::randn({1, 5, 32});
  const at::Tensor image = torch::rand({1, 3, 128, 128});
  const ControlResiduals residuals = controlnet->forward(latents, torch::tensor(400), context, image);
  ASSERT_EQ(residuals.down.size(), 4u);
  EXPECT_TRUE(unet->forward(latents, torch::tensor(400), context, &residuals)
                  .equal(unet->forward(latents, torch::tensor(400), context)));
}

TEST(ControlNetModel, ScalesResidualsAsDiffusersDoes) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  ControlNetModel controlnet(tiny());
  for (auto& p : controlnet->named_parameters()) {
    if (p.key().rfind("controlnet_", 0) == 0) p.value().normal_(0.0, 0.1);  // past the zero start
  }
  const at::Tensor latents = torch::randn({1, 4, 8, 8});
  const at::Tensor context = torch::randn({1, 5, 32});
  const at::Tensor image = torch::rand({1, 3, 16, 16});
  const auto full = controlnet->forward(latents, torch::tensor(10), context, image);
  const auto half = controlnet->forward(latents, torch::tensor(10), context, image, {.conditioning_scale = 0.5});
  const auto guess = controlnet->forward(latents, torch::tensor(10), context, image, {.guess_mode = true});
  ASSERT_EQ(full.down.size(), 4u);
  EXPECT_GT(max_abs(full.mid), 1e-3);
  EXPECT_TRUE(torch::allclose(half.mid, full.mid * 0.5));
  for (std::size_t i = 0; i < full.down.size(); ++i) {
    EXPECT_TRUE(torch::allclose(half.down[i], full.down[i] * 0.5)) << i;
    EXPECT_TRUE(torch::allclose(guess.down[i], full.down[i] * std::pow(10.0, -1.0 + static_cast<double>(i) / 4.0)))
        << i;
  }
  EXPECT_TRUE(torch::allclose(guess.mid, full.mid));
  EXPECT_THROW(controlnet->forward(latents, torch::tensor(10), context, torch::rand({1, 3, 64, 64})), Error);
  EXPECT_THROW(controlnet->forward(latents, torch::tensor(10), context, torch::rand({1, 1, 16, 16})), Error);
  EXPECT_THROW(controlnet->forward(latents, torch::tensor(10), torch::randn({1, 5, 16}), image), Error);
}

TEST(ControlNetModel, TinyConfigurationTrainsAndRoundTripsWithItsConfig) {
  torch::manual_seed(0);
  ControlNetModel controlnet(tiny());
  const at::Tensor latents = torch::randn({2, 4, 8, 8});
  const at::Tensor context = torch::randn({2, 5, 32});
  const at::Tensor image = torch::rand({2, 3, 16, 16});
  const auto residuals = controlnet->forward(latents, torch::tensor({1, 999}), context, image);
  at::Tensor loss = residuals.mid.sub(1).square().mean();
  for (const auto& r : residuals.down) loss = loss + r.sub(1).square().mean();
  loss.backward();
  // At the zero start only the zero convolutions receive gradient, as in diffusers: training grows them first.
  EXPECT_GT(max_abs(controlnet->named_parameters()["controlnet_mid_block.weight"].grad()), 0.0);
  EXPECT_GT(max_abs(controlnet->named_parameters()["controlnet_down_blocks.0.weight"].grad()), 0.0);

  test::TempDir dir;
  core::save_safetensors(dir / "controlnet.safetensors", core::module_state(*controlnet));
  ControlNetModel again(ControlNetConfig::from_json(controlnet->config().to_json()));
  EXPECT_TRUE(core::load_state_dict(*again, core::load_safetensors(dir / "controlnet.safetensors"), true,
                                    dir / "controlnet.safetensors")
                  .clean());
}

}  // namespace
}  // namespace wf::diffusion
