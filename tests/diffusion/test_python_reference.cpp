// Our UNet, ControlNet, VAE and text encoder against an independent functional PyTorch reference written
// from diffusers' and transformers' source (tests/diffusion/sd_reference.py, computed in float64): the same
// weights, saved under diffusers' names, must give the same outputs. This is what makes a user's SD 1.5
// weights draw the same images here as in Python, beyond loading key for key.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/json_io.h"
#include "core/state_dict.h"
#include "diffusion/autoencoder_kl.h"
#include "diffusion/clip_text_model.h"
#include "diffusion/controlnet.h"
#include "diffusion/unet_2d_condition.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

bool have_reference_python() {
  return test::run_command({"/usr/bin/python3", "-c", "import torch"}).status == 0;
}

// Relative to the reference's largest magnitude: float32 against float64.
double relative_error(const at::Tensor& ours, const at::Tensor& reference) {
  return ((ours - reference).abs().max() / reference.abs().max().clamp_min(1e-12)).item<double>();
}

void perturb_zero_convolutions(ControlNetModel& controlnet) {
  torch::NoGradGuard no_grad;
  for (auto& p : controlnet->named_parameters()) {
    if (p.key().rfind("controlnet_", 0) == 0) p.value().normal_(0.0, 0.2);
  }
}

struct Case {
  UNet2DConditionConfig unet;
  int64_t height, width;
};

class PythonReference : public ::testing::TestWithParam<int> {};

TEST_P(PythonReference, OutputsMatchDiffusersLayoutComputedIndependently) {
  if (!have_reference_python()) GTEST_SKIP() << "python3-torch is not installed";
  torch::manual_seed(GetParam());
  torch::NoGradGuard no_grad;
  test::TempDir dir;
  // Case 0: SD 1.x's layout. Case 1: SD 2.x's (linear projections, heads per block, three levels) on an
  // odd-sized latent, so the upsamplers follow the skip connections' sizes.
  Case c{diffusion::UNet2DConditionConfig::tiny(), 8, 8};
  if (GetParam() == 1) {
    c.unet = UNet2DConditionConfig::from_json(
        nlohmann::json{{"block_out_channels", {32, 32, 64}},
                       {"layers_per_block", 1},
                       {"down_block_types", {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"}},
                       {"up_block_types", {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"}},
                       {"cross_attention_dim", 24},
                       {"attention_head_dim", {2, 4, 8}},
                       {"use_linear_projection", true},
                       {"norm_num_groups", 16}});
    c.height = 7;
    c.width = 5;
  }
  UNet2DConditionModel unet(c.unet);
  core::write_json_file(dir / "unet_config.json", c.unet.to_json());
  core::save_safetensors(dir / "unet.safetensors", core::module_state(*unet));

  ControlNetConfig control_config = ControlNetConfig::from_unet(c.unet);
  control_config.conditioning_embedding_out_channels = {8, 16};  // control images at 2x the latents
  ControlNetModel controlnet(control_config);
  perturb_zero_convolutions(controlnet);
  core::write_json_file(dir / "controlnet_config.json", control_config.to_json());
  core::save_safetensors(dir / "controlnet.safetensors", core::module_state(*controlnet));

  const nlohmann::json vae_json{{"block_out_channels", {8, 16}},
                                {"layers_per_block", 1},
                                {"norm_num_groups", 4},
                                {"latent_channels", 4},
                                {"down_block_types", {"DownEncoderBlock2D", "DownEncoderBlock2D"}},
                                {"up_block_types", {"UpDecoderBlock2D", "UpDecoderBlock2D"}}};
  AutoencoderKL vae(AutoencoderKLConfig::from_json(vae_json));
  core::write_json_file(dir / "vae_config.json", vae_json);
  core::save_safetensors(dir / "vae.safetensors", core::module_state(*vae));

  const nlohmann::json text_json{
      {"hidden_size", 32},          {"intermediate_size", 37},       {"num_hidden_layers", 2},
      {"num_attention_heads", 4},   {"max_position_embeddings", 77}, {"vocab_size", 99},
      {"hidden_act", "quick_gelu"}, {"layer_norm_eps", 1e-5}};
  CLIPTextModel text(CLIPTextConfig::from_json(text_json));
  core::write_json_file(dir / "text_config.json", text_json);
  core::save_safetensors(dir / "text.safetensors", core::module_state(*text));

  const at::Tensor sample = torch::randn({2, 4, c.height, c.width});
  const at::Tensor timestep = torch::tensor({17.0, 803.0});
  const at::Tensor context = torch::randn({2, 6, c.unet.cross_attention_dim});
  const at::Tensor control = torch::rand({2, 3, 2 * c.height, 2 * c.width});
  const at::Tensor latents = torch::randn({2, 4, 6, 5});
  const at::Tensor images = torch::rand({2, 3, 12, 10}) * 2 - 1;
  const at::Tensor ids = torch::randint(0, 99, {2, 77}, torch::kLong);
  core::save_safetensors(dir / "inputs.safetensors", {{"sample", sample},
                                                      {"timestep", timestep},
                                                      {"context", context},
                                                      {"control_image", control},
                                                      {"conditioning_scale", torch::tensor({0.7})},
                                                      {"latents", latents},
                                                      {"images", images},
                                                      {"input_ids", ids}});
  const auto run = test::run_command({"/usr/bin/python3", WF_SD_REFERENCE, dir.path().string()});
  ASSERT_EQ(run.status, 0) << run.output;
  const core::StateDict reference = core::load_safetensors(dir / "reference.safetensors");

  constexpr double kTolerance = 2e-4;
  EXPECT_LT(relative_error(unet->forward(sample, timestep, context), reference.at("unet_out")), kTolerance);
  const ControlResiduals residuals =
      controlnet->forward(sample, timestep, context, control, {.conditioning_scale = 0.7});
  for (std::size_t i = 0; i < residuals.down.size(); ++i) {
    EXPECT_LT(relative_error(residuals.down[i], reference.at("controlnet_down_" + std::to_string(i))), kTolerance) << i;
  }
  EXPECT_FALSE(reference.count("controlnet_down_" + std::to_string(residuals.down.size())));
  EXPECT_LT(relative_error(residuals.mid, reference.at("controlnet_mid")), kTolerance);
  EXPECT_LT(relative_error(unet->forward(sample, timestep, context, &residuals), reference.at("unet_controlled_out")),
            kTolerance);
  EXPECT_LT(relative_error(vae->decode(latents), reference.at("vae_decoded")), kTolerance);
  const auto [mean, logvar] = vae->encode(images);
  EXPECT_LT(relative_error(mean, reference.at("vae_mean")), kTolerance);
  EXPECT_LT(relative_error(logvar, reference.at("vae_logvar")), kTolerance);
  EXPECT_LT(relative_error(text->forward(ids), reference.at("text_hidden")), kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Layouts, PythonReference, ::testing::Values(0, 1));

}  // namespace
}  // namespace wf::diffusion
