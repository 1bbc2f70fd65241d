#include "support/tiny_stable_diffusion.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/json_io.h"
#include "diffusion/autoencoder_kl.h"
#include "diffusion/clip_text_model.h"
#include "diffusion/controlnet.h"
#include "diffusion/diffusers_folder.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/unet_2d_condition.h"

namespace wf::test {
namespace fs = std::filesystem;

void write_tiny_stable_diffusion(const fs::path& dir, const TinyStableDiffusionOptions& options) {
  torch::manual_seed(options.seed);
  using diffusion::save_component;
  const auto unet_config = diffusion::UNet2DConditionConfig::tiny(options.inpainting ? 9 : 4, options.text_width);
  save_component(dir / "unet", unet_config.to_json(), *diffusion::UNet2DConditionModel(unet_config),
                 "diffusion_pytorch_model");

  // Four blocks as in SD, so images are 8x their latents.
  const nlohmann::json vae_json{{"_class_name", "AutoencoderKL"},
                                {"block_out_channels", {8, 8, 16, 16}},
                                {"down_block_types", std::vector<std::string>(4, "DownEncoderBlock2D")},
                                {"up_block_types", std::vector<std::string>(4, "UpDecoderBlock2D")},
                                {"latent_channels", 4},
                                {"layers_per_block", 1},
                                {"norm_num_groups", 4},
                                {"scaling_factor", 0.18215}};
  save_component(dir / "vae", vae_json, *diffusion::AutoencoderKL(diffusion::AutoencoderKLConfig::from_json(vae_json)),
                 "diffusion_pytorch_model");

  fs::create_directories(dir / "tokenizer");
  for (const auto& entry : fs::directory_iterator(WF_CLIP_VOCAB_DIR)) {
    fs::copy_file(entry.path(), dir / "tokenizer" / entry.path().filename(), fs::copy_options::overwrite_existing);
  }
  const auto vocab = core::read_json_file(dir / "tokenizer" / "vocab.json");
  const nlohmann::json text_json{{"architectures", {"CLIPTextModel"}},
                                 {"hidden_size", options.text_width},
                                 {"intermediate_size", 37},
                                 {"num_hidden_layers", 2},
                                 {"num_attention_heads", 4},
                                 {"max_position_embeddings", 77},
                                 {"vocab_size", vocab.size()},
                                 {"hidden_act", "quick_gelu"}};
  save_component(dir / "text_encoder", text_json,
                 *diffusion::CLIPTextModel(diffusion::CLIPTextConfig::from_json(text_json)), "model");

  fs::create_directories(dir / "scheduler");
  core::write_json_file(dir / "scheduler" / "scheduler_config.json", {{"_class_name", "PNDMScheduler"},
                                                                      {"beta_start", 0.00085},
                                                                      {"beta_end", 0.012},
                                                                      {"beta_schedule", "scaled_linear"},
                                                                      {"num_train_timesteps", 1000},
                                                                      {"steps_offset", 1},
                                                                      {"set_alpha_to_one", false},
                                                                      {"skip_prk_steps", true}});
  core::write_json_file(dir / "model_index.json", {{"_class_name", options.inpainting ? "StableDiffusionInpaintPipeline"
                                                                                      : "StableDiffusionPipeline"},
                                                   {"unet", {"diffusers", "UNet2DConditionModel"}},
                                                   {"vae", {"diffusers", "AutoencoderKL"}},
                                                   {"text_encoder", {"transformers", "CLIPTextModel"}},
                                                   {"tokenizer", {"transformers", "CLIPTokenizer"}},
                                                   {"scheduler", {"diffusers", "PNDMScheduler"}}});
}

void write_tiny_controlnet(const fs::path& pipeline_dir, const fs::path& dir) {
  auto sd = diffusion::StableDiffusion::load(pipeline_dir);
  auto controlnet = diffusion::controlnet_from_unet(sd.unet);
  diffusion::save_component(dir, controlnet->config().to_json(), *controlnet, "diffusion_pytorch_model");
}

}  // namespace wf::test
