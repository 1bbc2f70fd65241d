// Identity training end to end on tiny models and real faces: a source dataset extracted from five photos,
// a tiny SD folder, and the IdentityNet + IP-Adapter trained on them. The fixed-noise loss must fall by half,
// only the adapter may learn, a stopped run must resume to the same weights, the saved folder must have
// InstantID's and diffusers' layouts, and bad inputs must fail before training.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "core/error.h"
#include "core/json_io.h"
#include "core/state_dict.h"
#include "dataset/imagefolder.h"
#include "diffusion/stable_diffusion.h"
#include "extract/source_extraction.h"
#include "support/error_code.h"
#include "support/face_media.h"
#include "support/temp_dir.h"
#include "support/tiny_identity_adapter.h"
#include "support/tiny_stable_diffusion.h"
#include "support/training_log.h"
#include "train/trainers/identity/identity_task.h"
#include "train/trainers/identity/identity_trainer.h"

namespace wf::identity {
namespace {
namespace fs = std::filesystem;

// Five real faces (one per photo) and a tiny SD 1.5-shaped model, made once for every test.
struct Fixture {
  test::TempDir dir;
  fs::path dataset = dir / "source", model = dir / "sd";
  Fixture() {
    auto analysers = models::load_face_analysers(core::AppConfig::defaults());
    extract::SourceOptions options;
    for (const auto& photo : test::face_photos()) options.inputs.push_back(photo.path);
    options.output = dataset;
    options.crop_size = 128;
    options.outlier_similarity = -1;  // five different people: keep them all
    extract::extract_source(options, analysers);
    test::write_tiny_stable_diffusion(model);
  }
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

IdentityTrainOptions small_training(const fs::path& output) {
  IdentityTrainOptions options;
  options.dataset = fixture().dataset;
  options.base_model = fixture().model;
  options.output = output;
  options.resolution = 64;
  options.epochs = 150;
  options.resampler = test::tiny_resampler();
  options.train.batch_size = 5;  // the whole dataset: one step per epoch, so every step is evaluated
  options.train.lr = {.lr = 2e-3, .schedule = train::LrSchedule::constant, .warmup_steps = 5};
  options.train.seed = 11;
  return options;
}

TEST(IdentityTraining, TheFixedNoiseLossFallsByHalf) {
  ASSERT_EQ(dataset::read_records(fixture().dataset).size(), 5u);
  test::TempDir out;
  test::TrainingLog log;
  const IdentityTrainResult result = train_identity(small_training(out / "adapter"), &log);
  log.expect_loss_halved(150u);
  EXPECT_EQ(result.faces, 5u);
}

TEST(IdentityTraining, OnlyTheAdapterReceivesGradients) {
  const IdentityTrainOptions options = small_training("");
  const IdentityData data(options.dataset, options.resolution);
  diffusion::StableDiffusion sd = diffusion::StableDiffusion::load(options.base_model);
  IdentityTask task(options, data, sd, 3);
  task.set_effective_batch(2);
  task.loss_at(0, 0, 2).backward();
  for (const auto& p : task.model().named_parameters()) {
    ASSERT_TRUE(p.value().requires_grad()) << p.key();
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
  // At the zero start of a ControlNet only its output convolutions and the IP-Adapter get a non-zero gradient.
  EXPECT_GT(
      task.adapter()->controlnet->named_parameters()["controlnet_mid_block.weight"].grad().abs().sum().item<double>(),
      0);
  EXPECT_GT(
      task.adapter()->ip_adapter->named_parameters()["image_proj.proj_in.weight"].grad().abs().sum().item<double>(), 0);
  for (auto* frozen :
       {static_cast<torch::nn::Module*>(sd.vae.get()), static_cast<torch::nn::Module*>(sd.text_encoder.get())}) {
    for (const auto& p : frozen->named_parameters()) EXPECT_FALSE(p.value().grad().defined()) << p.key();
  }
  for (const auto& p : sd.unet->named_parameters()) {
    const bool adapter = p.key().find(".processor.") != std::string::npos;  // the IP-Adapter's, inside the UNet
    EXPECT_EQ(p.value().grad().defined(), adapter) << p.key();
  }
}

TEST(IdentityTraining, AStoppedRunResumesToTheSameWeights) {
  test::TempDir out;
  IdentityTrainOptions options = small_training(out / "whole");
  options.epochs = 6;
  train_identity(options);
  options.output = out / "resumed";
  const IdentityTrainResult first = train_identity(options, nullptr, nullptr, 3);
  EXPECT_EQ(first.train.step, 3);
  EXPECT_EQ(train_identity(options).train.step, 6);
  for (const char* file : {"ip-adapter.safetensors", "controlnet/diffusion_pytorch_model.safetensors"}) {
    const auto whole = core::load_safetensors(out / "whole" / file),
               resumed = core::load_safetensors(out / "resumed" / file);
    ASSERT_EQ(whole.size(), resumed.size()) << file;
    for (const auto& [key, value] : whole) EXPECT_TRUE(value.equal(resumed.at(key))) << file << " " << key;
  }
}

TEST(IdentityTraining, SavesInstantIDsAndDiffusersLayouts) {
  test::TempDir out;
  IdentityTrainOptions options = small_training(out / "adapter");
  options.epochs = 1;
  options.sample_every = 1;
  options.sample_steps = 2;
  test::TrainingLog log;
  const IdentityTrainResult result = train_identity(options, &log);
  ASSERT_EQ(result.samples.size(), 1u);
  EXPECT_TRUE(fs::exists(result.samples.front()));
  EXPECT_EQ(log.samples, std::vector<std::string>{result.samples.front().string()});  // announced for the UI
  // The ControlNet folder: what diffusers' ControlNetModel.from_pretrained reads, keys of the UNet's encoder.
  const auto config = core::read_json_file(out / "adapter" / "controlnet" / "config.json");
  EXPECT_EQ(config.at("_class_name"), "ControlNetModel");
  const auto controlnet =
      core::load_safetensors(out / "adapter" / "controlnet" / "diffusion_pytorch_model.safetensors");
  diffusion::ControlNetModel expected(diffusion::ControlNetConfig::from_json(config));
  EXPECT_EQ(controlnet.size(), core::module_state(*expected).size());
  EXPECT_TRUE(controlnet.count("controlnet_cond_embedding.conv_out.weight"));
  // ip-adapter.safetensors: image_proj.* and ip_adapter.<odd n>.to_{k,v}_ip.weight, nothing else.
  const auto ip = core::load_safetensors(out / "adapter" / "ip-adapter.safetensors");
  const std::regex pattern(
      R"(image_proj\.(latents|proj_in\..+|proj_out\..+|norm_out\..+|layers\.\d+\.[01]\..+)|ip_adapter\.[1357]\.to_[kv]_ip\.weight)");
  for (const auto& [key, value] : ip) EXPECT_TRUE(std::regex_match(key, pattern)) << key;
  EXPECT_EQ(ip.at("ip_adapter.7.to_k_ip.weight").sizes(), (std::vector<int64_t>{64, 32}));  // the mid block
  EXPECT_EQ(ip.at("image_proj.proj_in.weight").size(1),
            static_cast<int64_t>(dataset::read_records(fixture().dataset).front().embedding.size()));
  const auto identity = core::read_json_file(out / "adapter" / "identity.json");
  EXPECT_EQ(identity.at("num_tokens"), 4);
  EXPECT_EQ(identity.at("control"), "keypoints_5");
  EXPECT_EQ(identity.at("resampler").at("output_dim"), 32);

  // Training again from this folder (init) starts from its weights.
  options.init = out / "adapter";
  options.output = out / "again";
  options.train.lr.lr = 1e-12;
  train_identity(options);
  const auto again = core::load_safetensors(out / "again" / "ip-adapter.safetensors");
  EXPECT_TRUE(torch::allclose(again.at("image_proj.latents"), ip.at("image_proj.latents"), 1e-6, 1e-6));
}

TEST(IdentityTraining, TheFaceMeshControlDrawsTheContoursOfEachFace) {
  const IdentityData keypoints(fixture().dataset, 64), mesh(fixture().dataset, 64, face::ControlImage::face_mesh);
  ASSERT_EQ(mesh.controls().sizes(), keypoints.controls().sizes());
  for (int64_t i = 0; i < static_cast<int64_t>(mesh.size()); ++i) {
    const at::Tensor drawn = mesh.controls()[i].amax(0) > 0.1;  // lit pixels
    // A contour drawing: a small share of the crop, more than the five dots, and not the keypoint image.
    const double share = drawn.to(torch::kFloat).mean().item<double>();
    EXPECT_GT(share, 0.02) << i;
    EXPECT_LT(share, 0.5) << i;
    EXPECT_FALSE(mesh.controls()[i].equal(keypoints.controls()[i])) << i;
  }
  test::TempDir out;
  fs::copy(fixture().dataset, out / "no_mesh", fs::copy_options::recursive);
  auto records = dataset::read_records(out / "no_mesh");
  records[0].landmarks_478.clear();
  dataset::rewrite_records(out / "no_mesh", records);
  EXPECT_THROW(IdentityData(out / "no_mesh", 64, face::ControlImage::face_mesh), Error);
  EXPECT_NO_THROW(IdentityData(out / "no_mesh", 64));
}

TEST(IdentityTraining, BadInputsFailBeforeTraining) {
  test::TempDir out;
  // A dataset whose faces have no embedding.
  fs::copy(fixture().dataset, out / "bare", fs::copy_options::recursive);
  auto records = dataset::read_records(out / "bare");
  records[2].embedding.clear();
  dataset::rewrite_records(out / "bare", records);
  IdentityTrainOptions options = small_training(out / "a");
  options.dataset = out / "bare";
  std::string message;
  EXPECT_EQ(test::error_code([&] { train_identity(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("has no identity embedding"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out / "a" / "checkpoints"));

  // No base model: which files are needed and where.
  options = small_training(out / "b");
  options.base_model = out / "models" / "base_diffusion" / "stable-diffusion-v1-5";
  EXPECT_EQ(test::error_code([&] { train_identity(options); }, &message), ErrorCode::missing_model);

  // An adapter to start from whose embeddings are wider than the dataset's.
  options = small_training(out / "c");
  options.epochs = 1;
  train_identity(options);
  auto info = core::read_json_file(out / "c" / "identity.json");
  info["resampler"]["embedding_dim"] = 999;
  core::write_json_file(out / "c" / "identity.json", info);
  options.init = out / "c";
  options.output = out / "d";
  EXPECT_EQ(test::error_code([&] { train_identity(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("999-wide"), std::string::npos) << message;

  // An adapter made for another base model: its identity tokens are 32 wide, this UNet attends to 48.
  info["resampler"]["embedding_dim"] = dataset::read_records(fixture().dataset).front().embedding.size();
  core::write_json_file(out / "c" / "identity.json", info);
  test::write_tiny_stable_diffusion(out / "wider_sd", {.text_width = 48});
  options.base_model = out / "wider_sd";
  EXPECT_EQ(test::error_code([&] { train_identity(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("48"), std::string::npos) << message;

  // The inpainting UNet is not a base for identity training.
  test::write_tiny_stable_diffusion(out / "inpaint_sd", {.inpainting = true});
  options = small_training(out / "e");
  options.base_model = out / "inpaint_sd";
  EXPECT_EQ(test::error_code([&] { train_identity(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("inpainting"), std::string::npos) << message;
}

}  // namespace
}  // namespace wf::identity
