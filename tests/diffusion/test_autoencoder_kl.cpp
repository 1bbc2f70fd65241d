// AutoencoderKL: the Stable Diffusion 1.5 VAE's size and key names, and a tiny configuration (the kind
// diffusers tests with) that runs forward and backward and round-trips its weights through safetensors.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/state_dict.h"
#include "diffusion/autoencoder_kl.h"
#include "support/temp_dir.h"

namespace wf::diffusion {
namespace {

AutoencoderKLConfig tiny() {
  return AutoencoderKLConfig::from_json(nlohmann::json::parse(R"({
    "block_out_channels": [32, 64], "in_channels": 3, "out_channels": 3, "latent_channels": 4,
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
    "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"], "layers_per_block": 1, "norm_num_groups": 32})"));
}

TEST(AutoencoderKL, Sd15ConfigurationHasTheVaesSizeAndKeys) {
  AutoencoderKL vae;  // the defaults are SD 1.5's vae/config.json
  int64_t parameters = 0;
  for (const auto& p : vae->parameters()) parameters += p.numel();
  EXPECT_EQ(parameters, 83653863);
  const auto state = core::module_state(*vae);
  for (const char* key : {"encoder.conv_in.weight", "encoder.down_blocks.0.resnets.1.norm2.bias",
                          "encoder.down_blocks.1.resnets.0.conv_shortcut.weight", "encoder.down_blocks.2.downsamplers.0.conv.weight",
                          "encoder.mid_block.attentions.0.group_norm.weight", "encoder.mid_block.attentions.0.to_q.weight",
                          "encoder.mid_block.attentions.0.to_out.0.bias", "encoder.conv_out.weight", "quant_conv.weight",
                          "post_quant_conv.bias", "decoder.up_blocks.0.upsamplers.0.conv.weight",
                          "decoder.up_blocks.3.resnets.2.conv2.weight", "decoder.up_blocks.2.resnets.0.conv_shortcut.weight",
                          "decoder.conv_norm_out.weight"}) {
    EXPECT_TRUE(state.count(key)) << key;
  }
  EXPECT_EQ(state.at("encoder.conv_out.weight").sizes(), (std::vector<int64_t>{8, 512, 3, 3}));
  EXPECT_EQ(state.at("decoder.up_blocks.2.resnets.0.conv_shortcut.weight").sizes(), (std::vector<int64_t>{256, 512, 1, 1}));
  EXPECT_FALSE(state.count("encoder.down_blocks.3.downsamplers.0.conv.weight"));  // the last block keeps its size
}

TEST(AutoencoderKL, TinyConfigurationRunsForwardAndBackwardAndRoundTrips) {
  torch::manual_seed(0);
  AutoencoderKL vae(tiny());
  const at::Tensor images = torch::rand({2, 3, 32, 32}) * 2 - 1;
  const auto [mean, logvar] = vae->encode(images);
  EXPECT_EQ(mean.sizes(), (std::vector<int64_t>{2, 4, 16, 16}));
  EXPECT_LE(logvar.max().item<double>(), 20.0);
  const at::Tensor decoded = vae->decode(mean + (0.5 * logvar).exp() * torch::randn_like(mean));
  EXPECT_EQ(decoded.sizes(), images.sizes());
  torch::mse_loss(decoded, images).backward();
  for (const auto& p : vae->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }

  test::TempDir dir;
  core::save_safetensors(dir / "vae.safetensors", core::module_state(*vae));
  torch::manual_seed(1);
  AutoencoderKL again(tiny());
  EXPECT_TRUE(core::load_state_dict(*again, core::load_safetensors(dir / "vae.safetensors"), true, dir / "vae.safetensors").clean());
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(again->decode(mean).equal(vae->decode(mean)));
}

TEST(AutoencoderKL, UnsupportedConfigsAreRefused) {
  EXPECT_THROW(AutoencoderKLConfig::from_json(nlohmann::json{{"down_block_types", {"AttnDownEncoderBlock2D"}}}), Error);
  EXPECT_THROW(AutoencoderKLConfig::from_json(nlohmann::json{{"act_fn", "gelu"}}), Error);
  EXPECT_THROW(AutoencoderKLConfig::from_json(nlohmann::json{{"block_out_channels", "wide"}}), Error);
}

}  // namespace
}  // namespace wf::diffusion

namespace wf::diffusion {
namespace {

TEST(AutoencoderKL, TiledDecodeConvergesOnTheWholeDecodeAsTilesGrow) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  AutoencoderKL vae(tiny());
  // A uniform field: each tile's content equals the whole image's, so what differs is the tiles' own borders
  // (zero padding, group-norm statistics), which the cross-fade hides better the larger the tiles.
  const at::Tensor latents = torch::randn({1, 4, 1, 1}).expand({1, 4, 40, 56}).contiguous();
  const at::Tensor whole = vae->decode(latents);
  auto error = [&](int64_t tile, int64_t overlap) {
    const at::Tensor tiled = vae->tiled_decode(latents, tile, overlap);
    EXPECT_EQ(tiled.sizes(), whole.sizes());
    return (tiled - whole).abs().mean().item<double>();
  };
  const double small = error(16, 4), medium = error(32, 16), large = error(48, 16);
  EXPECT_GT(small, medium);
  EXPECT_GT(medium, large);
  EXPECT_LT(large, 0.1 * whole.std().item<double>());  // an untrained VAE; a trained one's borders matter less
  const at::Tensor one_tile = latents.slice(2, 0, 16).slice(3, 0, 16);
  EXPECT_TRUE(vae->tiled_decode(one_tile, 16, 4).equal(vae->decode(one_tile)));
  EXPECT_THROW(vae->tiled_decode(latents, 16, 9), Error);
}

}  // namespace
}  // namespace wf::diffusion
