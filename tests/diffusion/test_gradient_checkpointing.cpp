// Gradient checkpointing recomputes activations in backward; the gradients must be those of the plain pass,
// for the trainable parts of identity training (a ControlNet and an IP-Adapter inside a frozen UNet) and of
// LoRA training (LoRA layers with dropout, whose masks the recomputation must draw again).

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffusion/controlnet.h"
#include "diffusion/ip_adapter.h"
#include "diffusion/lora.h"
#include "diffusion/unet_2d_blocks.h"
#include "diffusion/unet_2d_condition.h"
#include "support/tiny_resampler.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

TEST(GradientCheckpointing, GivesThePlainPassesGradients) {
  torch::manual_seed(0);
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  for (auto& p : unet->parameters()) p.set_requires_grad(false);
  ControlNetConfig config = ControlNetConfig::from_unet(unet->config());
  config.conditioning_embedding_out_channels = {8, 16};
  ControlNetModel controlnet(config);
  for (auto& p : controlnet->named_parameters()) {
    if (p.key().rfind("controlnet_", 0) == 0) p.value().data().normal_(0.0, 0.1);
  }
  const ResamplerConfig resampler = test::tiny_resampler_config(1);
  IPAdapter adapter(*unet, resampler);
  const at::Tensor latents = torch::randn({2, 4, 8, 8}), text = torch::randn({2, 5, 32}), faces = torch::randn({2, 16});
  const at::Tensor control = torch::rand({2, 3, 16, 16});

  auto gradients = [&](bool checkpointed) {
    set_gradient_checkpointing(*unet, checkpointed);
    set_gradient_checkpointing(*controlnet, checkpointed);
    controlnet->zero_grad();
    adapter->zero_grad();
    const at::Tensor tokens = adapter->image_tokens(faces);
    const ControlResiduals residuals = controlnet->forward(latents, torch::tensor({30, 700}), tokens, control);
    unet->forward(latents, torch::tensor({30, 700}), adapter->context(text, tokens), &residuals)
        .square()
        .mean()
        .backward();
    std::map<std::string, at::Tensor> out;
    for (auto* module :
         {static_cast<torch::nn::Module*>(controlnet.get()), static_cast<torch::nn::Module*>(adapter.get())}) {
      for (const auto& p : module->named_parameters()) out[p.key()] = p.value().grad().clone();
    }
    return out;
  };
  const auto plain = gradients(false), checkpointed = gradients(true);
  ASSERT_EQ(plain.size(), checkpointed.size());
  for (const auto& [key, grad] : plain) {
    ASSERT_TRUE(checkpointed.at(key).defined()) << key;
    EXPECT_TRUE(torch::allclose(checkpointed.at(key), grad, 1e-4, 1e-6)) << key;
  }
  EXPECT_GT(plain.at("ip_adapter.7.to_k_ip.weight").abs().sum().item<double>(), 0.0);  // reached through the UNet
  EXPECT_GT(plain.at("down_blocks.0.resnets.0.conv1.weight").abs().sum().item<double>(), 0.0);
}

TEST(GradientCheckpointing, GivesThePlainPassesGradientsThroughLoraDropout) {
  torch::manual_seed(1);
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  for (auto& p : unet->parameters()) p.set_requires_grad(false);
  LoraSet lora = LoraSet::inject(*unet, {.rank = 4, .alpha = 4, .dropout = 0.5});
  lora.module().train();
  for (auto& p : lora.parameters()) p.data().normal_(0.0, 0.1);
  const at::Tensor latents = torch::randn({2, 4, 8, 8}), text = torch::randn({2, 5, 32});
  auto gradients = [&](bool checkpointed) {
    set_gradient_checkpointing(*unet, checkpointed);
    lora.module().zero_grad();
    torch::manual_seed(7);  // the same dropout masks in both passes
    unet->forward(latents, torch::tensor({30, 700}), text).square().mean().backward();
    std::map<std::string, at::Tensor> out;
    for (const auto& p : lora.module().named_parameters()) out[p.key()] = p.value().grad().clone();
    return out;
  };
  const auto plain = gradients(false), checkpointed = gradients(true);
  for (const auto& [key, grad] : plain) EXPECT_TRUE(torch::allclose(checkpointed.at(key), grad, 1e-4, 1e-6)) << key;
}

}  // namespace
}  // namespace wf::diffusion
