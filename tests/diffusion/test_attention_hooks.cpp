// The two extension points of the UNet's attention layers: processors (how IP-Adapter adds image tokens)
// and linear adapters (how LoRA adds low-rank updates). Each must change the output only when it has
// something to add, and put its weights under the keys diffusers and peft use.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/state_dict.h"
#include "diffusion/attention.h"
#include "diffusion/unet_2d_condition.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

// Extra key/value projections of image tokens appended to the context, as IP-Adapter's processor does.
class ExtraTokensProcessor final : public AttentionProcessor {
 public:
  ExtraTokensProcessor(int64_t context_dim, int64_t inner, int64_t tokens) : tokens_(tokens) {
    to_k_ip = register_module("to_k_ip", torch::nn::Linear(torch::nn::LinearOptions(context_dim, inner).bias(false)));
    to_v_ip = register_module("to_v_ip", torch::nn::Linear(torch::nn::LinearOptions(context_dim, inner).bias(false)));
  }
  at::Tensor forward(AttentionImpl& attention, const at::Tensor& hidden, const at::Tensor& context) override {
    const int64_t text = context.size(1) - tokens_;
    const at::Tensor prompt = context.narrow(1, 0, text), image = context.narrow(1, text, tokens_);
    const at::Tensor query = attention.to_q->forward(hidden);
    const at::Tensor out = attention.attend(query, attention.to_k->forward(prompt), attention.to_v->forward(prompt)) +
                           scale * attention.attend(query, to_k_ip->forward(image), to_v_ip->forward(image));
    return attention.to_out[0]->as<AdaptableLinear>()->forward(out);
  }
  double scale = 1.0;
  torch::nn::Linear to_k_ip{nullptr}, to_v_ip{nullptr};

 private:
  int64_t tokens_;
};

class LowRank final : public LayerAdapter {
 public:
  LowRank(int64_t in, int64_t out, int64_t rank) {
    down = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(in, rank).bias(false)));
    up = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(rank, out).bias(false)));
    torch::nn::init::zeros_(up->weight);  // peft's start: B = 0, so the adapter adds nothing yet
  }
  at::Tensor forward(const at::Tensor& x) override { return up->forward(down->forward(x)); }
  torch::nn::Linear down{nullptr}, up{nullptr};
};

TEST(AttentionHooks, ProcessorsAddImageTokensUnderDiffusersKeys) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  const at::Tensor latents = torch::randn({1, 4, 8, 8});
  const at::Tensor text = torch::randn({1, 5, 32}), image = torch::randn({1, 4, 32});
  const at::Tensor plain = unet->forward(latents, torch::tensor(10), text);

  std::vector<std::shared_ptr<ExtraTokensProcessor>> processors;
  for (auto& [name, attention] : named_attention_layers(*unet)) {
    if (attention->options().cross_attention_dim == 0) continue;  // self-attention keeps the default
    processors.push_back(std::make_shared<ExtraTokensProcessor>(32, attention->to_k->weight.size(0), 4));
    attention->set_processor(processors.back());
  }
  ASSERT_EQ(processors.size(), 4u);  // down_blocks.0 (1 layer), mid_block, up_blocks.1 (2 layers)
  const auto state = core::module_state(*unet);
  EXPECT_TRUE(state.count("down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor.to_k_ip.weight"));
  EXPECT_TRUE(state.count("mid_block.attentions.0.transformer_blocks.0.attn2.processor.to_v_ip.weight"));

  const at::Tensor context = torch::cat({text, image}, 1);
  for (auto& p : processors) p->scale = 0.0;  // no image weight: exactly the text-only UNet
  EXPECT_TRUE(torch::allclose(unet->forward(latents, torch::tensor(10), context), plain, 1e-5, 1e-6));
  for (auto& p : processors) p->scale = 1.0;
  EXPECT_GT((unet->forward(latents, torch::tensor(10), context) - plain).abs().max().item<double>(), 1e-4);
}

TEST(AttentionHooks, LinearAdaptersAddLowRankUpdatesAndComeOffCleanly) {
  torch::manual_seed(0);
  UNet2DConditionModel unet(diffusion::UNet2DConditionConfig::tiny());
  const at::Tensor latents = torch::randn({1, 4, 8, 8});
  const at::Tensor context = torch::randn({1, 5, 32});
  const at::Tensor plain = unet->forward(latents, torch::tensor(10), context).detach();
  const auto base_keys = core::module_state(*unet).size();

  std::vector<std::shared_ptr<LowRank>> adapters;
  for (auto& [name, attention] : named_attention_layers(*unet)) {
    for (AdaptableLinear* projection : {&attention->to_q, &attention->to_v}) {
      adapters.push_back(std::make_shared<LowRank>((*projection)->weight.size(1), (*projection)->weight.size(0), 2));
      (*projection)->add_adapter("lora", adapters.back());
    }
  }
  const auto state = core::module_state(*unet);
  EXPECT_EQ(state.size(), base_keys + 2 * adapters.size());  // lora_A and lora_B per adapted projection
  EXPECT_TRUE(state.count("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.lora_A.weight"));
  EXPECT_TRUE(state.count("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"));  // base key unchanged

  // B = 0: nothing changes, yet gradients reach B (training can start).
  const at::Tensor out = unet->forward(latents, torch::tensor(10), context);
  EXPECT_TRUE(torch::allclose(out, plain, 1e-6, 1e-7));
  out.square().mean().backward();
  EXPECT_GT(adapters.front()->up->weight.grad().abs().sum().item<double>(), 0.0);

  torch::NoGradGuard no_grad;
  for (auto& adapter : adapters) adapter->up->weight.normal_(0.0, 0.1);
  EXPECT_GT((unet->forward(latents, torch::tensor(10), context) - plain).abs().max().item<double>(), 1e-4);
  for (auto& [name, attention] : named_attention_layers(*unet)) {
    attention->to_q->remove_adapter("lora");
    attention->to_v->remove_adapter("lora");
  }
  EXPECT_EQ(core::module_state(*unet).size(), base_keys);
  EXPECT_TRUE(torch::allclose(unet->forward(latents, torch::tensor(10), context), plain, 1e-6, 1e-7));
}

}  // namespace
}  // namespace wf::diffusion
