// Loading diffusers folders and generating with them: txt2img, img2img, 4- and 9-channel inpainting and
// ControlNet inpainting on tiny models, the mask property (the unmasked region keeps the input's latents
// and, after the paste, its exact pixels), and the errors a user can cause.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/state_dict.h"
#include "diffusion/diffusers_folder.h"
#include "diffusion/pipeline.h"
#include "support/error_code.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {
namespace fs = std::filesystem;

// A picture with structure (a lit disc on a gradient) at 64x64, in [0, 1].
at::Tensor test_image() {
  const at::Tensor y = torch::linspace(-1, 1, 64).view({1, 1, 64, 1}).expand({1, 1, 64, 64});
  const at::Tensor x = torch::linspace(-1, 1, 64).view({1, 1, 1, 64}).expand({1, 1, 64, 64});
  const at::Tensor disc = ((x * x + y * y) < 0.4).to(torch::kFloat);
  return torch::cat({0.2 + 0.6 * disc, 0.5 + 0.3 * x, 0.5 - 0.3 * y}, 1).clamp(0, 1);
}

at::Tensor centre_mask() {  // the middle 32x32 repainted
  at::Tensor mask = torch::zeros({1, 1, 64, 64});
  mask.slice(2, 16, 48).slice(3, 16, 48).fill_(1);
  return mask;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override { test::write_tiny_stable_diffusion(dir / "sd"); }
  test::TempDir dir;
};

TEST_F(PipelineTest, LoadsADiffusersFolderKeyForKey) {
  StableDiffusion sd = StableDiffusion::load(dir / "sd");
  EXPECT_EQ(sd.unet->config().block_out_channels, (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(sd.vae->config().block_out_channels.size(), 4u);
  const auto unet_file = core::load_safetensors(dir / "sd" / "unet" / "diffusion_pytorch_model.safetensors");
  for (const auto& [key, value] : core::module_state(*sd.unet)) EXPECT_TRUE(value.equal(unet_file.at(key))) << key;
  ASSERT_TRUE(sd.tokenizer.has_value());
  EXPECT_EQ(sd.tokenizer->model_max_length(), 77);
}

TEST_F(PipelineTest, LoadsFp16VariantsAndOldTextEncoderBuffers) {
  StableDiffusion sd = StableDiffusion::load(dir / "sd");
  // An fp16-only folder, with the position_ids buffer older transformers files carry.
  const fs::path half = dir / "half";
  fs::copy(dir / "sd", half, fs::copy_options::recursive);
  fs::remove(half / "unet" / "diffusion_pytorch_model.safetensors");
  save_component(half / "unet", sd.unet->config().to_json(), *sd.unet, "diffusion_pytorch_model", "fp16");
  auto text = core::load_safetensors(half / "text_encoder" / "model.safetensors");
  text["text_model.embeddings.position_ids"] = torch::arange(77).unsqueeze(0);
  core::save_safetensors(half / "text_encoder" / "model.safetensors", text);

  for (const std::string variant : {"fp16", ""}) {
    StableDiffusion loaded = StableDiffusion::load(half, {.variant = variant});
    EXPECT_EQ(loaded.unet->parameters().front().scalar_type(), torch::kFloat);
    const auto original = core::module_state(*sd.unet);
    for (const auto& [key, value] : core::module_state(*loaded.unet)) {
      EXPECT_TRUE(value.equal(original.at(key).to(torch::kHalf).to(torch::kFloat))) << key;
    }
  }
}

TEST_F(PipelineTest, BadFoldersAndFilesGiveClearErrors) {
  // A config that disagrees with the weights: the error names the keys.
  auto config = core::read_json_file(dir / "sd" / "unet" / "config.json");
  config["cross_attention_dim"] = 48;
  core::write_json_file(dir / "sd" / "unet" / "config.json", config);
  try {
    StableDiffusion::load(dir / "sd");
    FAIL() << "loaded weights that disagree with the config";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_NE(std::string(e.what()).find("attn2.to_k.weight"), std::string::npos) << e.what();
    EXPECT_EQ(e.path(), dir / "sd" / "unet" / "diffusion_pytorch_model.safetensors");
  }
  config["cross_attention_dim"] = 32;
  core::write_json_file(dir / "sd" / "unet" / "config.json", config);

  // One component's weights or a pickle given where a single-file checkpoint goes.
  EXPECT_EQ(test::error_code([&] { StableDiffusion::load(dir / "sd" / "unet" / "diffusion_pytorch_model.safetensors"); }),
            ErrorCode::invalid_input);
  test::write_text(dir / "model.ckpt", "pickle");
  EXPECT_EQ(test::error_code([&] { StableDiffusion::load(dir / "model.ckpt"); }), ErrorCode::unsupported);

  const fs::path vae = dir / "sd" / "vae" / "diffusion_pytorch_model.safetensors";
  fs::resize_file(vae, fs::file_size(vae) / 2);  // a download cut short
  EXPECT_EQ(test::error_code([&] { StableDiffusion::load(dir / "sd"); }), ErrorCode::corrupt_file);
  fs::rename(vae, dir / "sd" / "vae" / "diffusion_pytorch_model.bin");
  EXPECT_EQ(test::error_code([&] { StableDiffusion::load(dir / "sd"); }), ErrorCode::unsupported);
  fs::remove(dir / "sd" / "model_index.json");
  EXPECT_EQ(test::error_code([&] { StableDiffusion::load(dir / "sd"); }), ErrorCode::not_found);
  EXPECT_EQ(test::error_code([&] { StableDiffusion::load(dir / "nowhere"); }), ErrorCode::not_found);
}

TEST_F(PipelineTest, Txt2ImgIsReproducibleFromItsSeed) {
  StableDiffusion sd = StableDiffusion::load(dir / "sd");
  GenerationRequest request{.prompt = "a portrait photo, soft light", .width = 32, .height = 48, .steps = 3, .seed = 7};
  const auto first = generate(sd, request);
  EXPECT_EQ(first.image.sizes(), (std::vector<int64_t>{1, 3, 48, 32}));
  EXPECT_EQ(first.latents.sizes(), (std::vector<int64_t>{1, 4, 6, 4}));
  EXPECT_GE(first.image.min().item<double>(), 0.0);
  EXPECT_LE(first.image.max().item<double>(), 1.0);
  EXPECT_TRUE(generate(sd, request).image.equal(first.image));
  request.seed = 8;
  EXPECT_GT((generate(sd, request).latents - first.latents).abs().max().item<double>(), 1e-3);
  for (const std::string sampler : {"ddim", "euler", "euler_a"}) {
    request.sampler = sampler;
    EXPECT_TRUE(torch::isfinite(generate(sd, request).latents).all().item<bool>()) << sampler;
  }
}

TEST_F(PipelineTest, Img2ImgRunsTheStrengthsShareOfSteps) {
  StableDiffusion sd = StableDiffusion::load(dir / "sd");
  int64_t calls = 0, reported_total = 0;
  GenerationRequest request{.prompt = "a face", .image = test_image(), .strength = 0.5, .steps = 10};
  request.on_step = [&](int64_t, int64_t total) {
    ++calls;
    reported_total = total;
    return true;
  };
  const auto result = generate(sd, request);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(reported_total, 5);
  EXPECT_EQ(result.image.sizes(), test_image().sizes());
}

TEST_F(PipelineTest, InpaintingKeepsTheUnmaskedRegion) {
  StableDiffusion sd = StableDiffusion::load(dir / "sd");
  const at::Tensor image = test_image(), mask = centre_mask();
  const auto result = generate(sd, {.prompt = "a smiling face", .image = image, .mask = mask, .steps = 4, .seed = 3});

  // In latent space the unmasked region ends on the input's latents (blended in at every step; only the
  // scaling factor's multiply and divide round).
  torch::NoGradGuard no_grad;
  const at::Tensor input_latents = sd.vae->encode(image * 2 - 1).first;
  const at::Tensor latent_keep = torch::ones({1, 1, 8, 8});
  latent_keep.slice(2, 2, 6).slice(3, 2, 6).fill_(0);
  EXPECT_TRUE(torch::allclose(result.latents * latent_keep, input_latents * latent_keep, 1e-6, 1e-7));

  // Decoded, the unmasked pixels differ from the input by no more than the VAE's own round trip.
  const at::Tensor round_trip = (sd.vae->decode(input_latents) / 2 + 0.5).clamp(0, 1);
  const at::Tensor keep = 1 - mask;
  const double round_trip_error = ((round_trip - image).abs() * keep).sum().item<double>() / keep.sum().item<double>();
  const double decoded_error = ((result.decoded - image).abs() * keep).sum().item<double>() / keep.sum().item<double>();
  EXPECT_LE(decoded_error, round_trip_error * 1.05 + 1e-3) << "round trip " << round_trip_error;

  // After the paste they are the input's pixels, bit for bit; inside the mask the model painted.
  EXPECT_TRUE((result.image * keep).equal(image * keep));
  EXPECT_GT(((result.image - image).abs() * mask).max().item<double>(), 1e-3);
}

TEST_F(PipelineTest, NineChannelInpaintingAndControlNetInpainting) {
  test::write_tiny_stable_diffusion(dir / "inpaint", {.inpainting = true, .seed = 1});
  StableDiffusion inpaint = StableDiffusion::load(dir / "inpaint");
  const at::Tensor image = test_image(), mask = centre_mask();
  const auto nine = generate(inpaint, {.prompt = "a face", .image = image, .mask = mask, .steps = 3});
  EXPECT_TRUE((nine.image * (1 - mask)).equal(image * (1 - mask)));
  EXPECT_EQ(test::error_code([&] { generate(inpaint, {.prompt = "a face", .image = image, .steps = 3}); }),
            ErrorCode::invalid_input);

  // A ControlNet fresh from the UNet adds exactly nothing, in guess mode too; a trained one steers.
  test::write_tiny_controlnet(dir / "sd", dir / "controlnet");
  StableDiffusion sd = StableDiffusion::load(dir / "sd");
  ControlNetModel controlnet = load_controlnet(dir / "controlnet");
  GenerationRequest request{.prompt = "a face", .image = image, .mask = mask, .control_image = torch::rand({1, 3, 32, 32}),
                            .steps = 3};
  const auto plain = generate(sd, {.prompt = "a face", .image = image, .mask = mask, .steps = 3});
  EXPECT_TRUE(generate(sd, request, &controlnet).latents.equal(plain.latents));
  request.guess_mode = true;
  EXPECT_TRUE(generate(sd, request, &controlnet).latents.equal(plain.latents));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : controlnet->named_parameters()) {
      if (p.key().rfind("controlnet_", 0) == 0) p.value().normal_(0.0, 0.05);
    }
  }
  request.guess_mode = false;
  const auto steered = generate(sd, request, &controlnet);
  EXPECT_GT((steered.latents - plain.latents).abs().max().item<double>(), 1e-4);
  EXPECT_TRUE((steered.image * (1 - mask)).equal(image * (1 - mask)));
}

TEST_F(PipelineTest, BadRequestsGiveClearErrors) {
  StableDiffusion sd = StableDiffusion::load(dir / "sd");
  const at::Tensor image = test_image();
  std::string long_prompt;
  for (int i = 0; i < 80; ++i) long_prompt += "face ";
  try {
    generate(sd, {.prompt = long_prompt, .steps = 1});
    FAIL() << "a prompt over 77 tokens ran";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_NE(std::string(e.what()).find("tokens longer"), std::string::npos) << e.what();
  }
  try {
    generate(sd, {.prompt = "a face", .image = image, .mask = torch::ones({1, 1, 32, 64}), .steps = 1});
    FAIL() << "a mask of the wrong size ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the mask is 64x32 but the image is 64x64"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::error_code([&] { generate(sd, {.prompt = "a", .width = 60, .height = 64, .steps = 1}); }), ErrorCode::invalid_input);
  EXPECT_EQ(test::error_code([&] { generate(sd, {.prompt = "a", .width = 32, .height = 32, .steps = 2, .sampler = "plms"}); }),
            ErrorCode::invalid_input);
  GenerationRequest cancelled{.prompt = "a", .width = 32, .height = 32, .steps = 5};
  cancelled.on_step = [](int64_t step, int64_t) { return step < 2; };
  EXPECT_EQ(test::error_code([&] { generate(sd, cancelled); }), ErrorCode::cancelled);
}

}  // namespace
}  // namespace wf::diffusion
