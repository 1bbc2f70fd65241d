// The IP-Adapter of InstantID: its state_dict is InstantID's ip-adapter file (image_proj.* and
// ip_adapter.<n>.to_{k,v}_ip.weight numbered over all the UNet's attention layers), a scale of 0 gives back
// the text-only UNet, and identity tokens steer it.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/state_dict.h"
#include "diffusion/ip_adapter.h"
#include "diffusion/unet_2d_condition.h"
#include "support/temp_dir.h"
#include "support/tiny_resampler.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

Shapes shapes(const core::StateDict& state) {
  Shapes out;
  for (const auto& [key, value] : state) out[key] = value.sizes().vec();
  return out;
}

TEST(IPAdapter, TinyConfigurationHasInstantIDsKeys) {
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  IPAdapter adapter(*unet, test::tiny_resampler_config());
  Shapes expected{{"image_proj.latents", {1, 4, 32}}, {"image_proj.proj_in.weight", {32, 16}},
                  {"image_proj.proj_in.bias", {32}},  {"image_proj.proj_out.weight", {32, 32}},
                  {"image_proj.proj_out.bias", {32}}, {"image_proj.norm_out.weight", {32}},
                  {"image_proj.norm_out.bias", {32}}};
  for (const std::string layer : {"0", "1"}) {
    const std::string p = "image_proj.layers." + layer;
    for (const char* norm : {".0.norm1.", ".0.norm2.", ".1.0."}) {
      expected[p + norm + "weight"] = {32};
      expected[p + norm + "bias"] = {32};
    }
    expected[p + ".0.to_q.weight"] = {32, 32};
    expected[p + ".0.to_kv.weight"] = {64, 32};
    expected[p + ".0.to_out.weight"] = {32, 32};
    expected[p + ".1.1.weight"] = {64, 32};
    expected[p + ".1.3.weight"] = {32, 64};
  }
  // Attention layers in diffusers' order: down_blocks.0 (attn1 = 0, attn2 = 1), up_blocks.1's two transformers
  // (2-5), then the mid block (6, 7) with 64 channels.
  for (const auto& [index, width] :
       std::vector<std::pair<std::string, int64_t>>{{"1", 32}, {"3", 32}, {"5", 32}, {"7", 64}}) {
    expected["ip_adapter." + index + ".to_k_ip.weight"] = {width, 32};
    expected["ip_adapter." + index + ".to_v_ip.weight"] = {width, 32};
  }
  EXPECT_EQ(shapes(core::module_state(*adapter)), expected);
}

TEST(IPAdapter, Sd15ConfigurationMatchesInstantIDsLayout) {
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet;
  IPAdapter adapter(*unet);  // InstantID's Resampler (1280 wide, 4 layers, 16 tokens) onto SD 1.5's 768
  int64_t resampler = 0, projections = 0;
  for (const auto& [key, value] : core::module_state(*adapter)) {
    (key.rfind("image_proj.", 0) == 0 ? resampler : projections) += value.numel();
  }
  std::cout << "IP-Adapter parameters: Resampler " << resampler << ", key/value projections " << projections << "\n";
  EXPECT_EQ(resampler, 80336384);
  EXPECT_EQ(projections, 19169280);  // 16 cross-attention layers x 2 x 768 x their width (320 to 1280)
  const auto state = shapes(core::module_state(*adapter));
  for (int index = 1; index < 32; index += 2) {
    EXPECT_TRUE(state.count("ip_adapter." + std::to_string(index) + ".to_k_ip.weight")) << index;
    EXPECT_FALSE(state.count("ip_adapter." + std::to_string(index - 1) + ".to_k_ip.weight")) << index - 1;
  }
  EXPECT_EQ(state.at("ip_adapter.1.to_k_ip.weight"), (std::vector<int64_t>{320, 768}));
  EXPECT_EQ(state.at("ip_adapter.31.to_v_ip.weight"), (std::vector<int64_t>{1280, 768}));  // the mid block, last
  EXPECT_EQ(state.at("image_proj.latents"), (std::vector<int64_t>{1, 16, 1280}));
}

TEST(IPAdapter, ScaleZeroIsTheTextOnlyUNetAndTokensSteer) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  const at::Tensor latents = torch::randn({2, 4, 8, 8});
  const at::Tensor text = torch::randn({2, 6, 32});
  const at::Tensor plain = unet->forward(latents, torch::tensor(20), text);
  IPAdapter adapter(*unet, test::tiny_resampler_config());
  const at::Tensor tokens = adapter->image_tokens(torch::randn({2, 16}));
  EXPECT_EQ(tokens.sizes(), (std::vector<int64_t>{2, 4, 32}));
  const at::Tensor context = adapter->context(text, tokens);
  adapter->set_scale(0.0);
  EXPECT_TRUE(torch::allclose(unet->forward(latents, torch::tensor(20), context), plain, 1e-5, 1e-6));
  adapter->set_scale(1.0);
  const at::Tensor steered = unet->forward(latents, torch::tensor(20), context);
  EXPECT_GT((steered - plain).abs().max().item<double>(), 1e-4);

  test::TempDir dir;
  core::save_safetensors(dir / "ip-adapter.safetensors", core::module_state(*adapter));
  torch::manual_seed(1);
  UNet2DConditionModel other(diffusion::UNet2DConditionConfig::tiny());
  auto other_state = core::module_state(*other);
  for (const auto& [key, value] : core::module_state(*unet)) {
    if (other_state.count(key)) other_state.at(key).copy_(value);  // the base UNet; the adapter comes from the file
  }
  IPAdapter loaded(*other, test::tiny_resampler_config());
  core::load_state_dict(*loaded, core::load_safetensors(dir / "ip-adapter.safetensors"), true,
                        dir / "ip-adapter.safetensors");
  EXPECT_TRUE(torch::allclose(other->forward(latents, torch::tensor(20), context), steered, 1e-6, 1e-7));

  EXPECT_THROW(adapter->image_tokens(torch::randn({2, 512})), Error);
  EXPECT_THROW(unet->forward(latents, torch::tensor(20), torch::randn({2, 3, 32})), Error);  // no room for the tokens
}

}  // namespace
}  // namespace wf::diffusion
