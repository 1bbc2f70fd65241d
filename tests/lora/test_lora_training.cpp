// LoRA training end to end on tiny models and real faces: a target dataset tracked through a clip made from a
// group photo, a tiny SD folder, and an identity adapter trained on five source photos. The fixed-noise loss
// must fall by half, only LoRA weights may change (the identity adapter frozen but active), a stopped run must
// resume to the same weights, the options must go through the schema as the UI sends them, and bad input must
// fail before training with the file and the fix named.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/state_dict.h"
#include "dataset/imagefolder.h"
#include "options/lora_options.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "support/error_code.h"
#include "support/face_media.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"
#include "support/tiny_identity_adapter.h"
#include "support/tiny_stable_diffusion.h"
#include "support/training_log.h"
#include "train/trainers/lora/lora_task.h"
#include "train/trainers/lora/lora_trainer.h"

namespace wf::lora {
namespace {
namespace fs = std::filesystem;

// The target (six frames of one tracked face), the source (five faces), a tiny SD and an identity adapter
// trained a few steps on the source, made once for every test.
struct Fixture {
  test::TempDir dir;
  fs::path target = dir / "target", source = dir / "source", model = dir / "sd", identity = dir / "identity";
  Fixture() {
    auto analysers = models::load_face_analysers(core::AppConfig::defaults());
    test::group_photo_clip(6).write(dir / "clip.mkv");
    extract::TargetOptions target_options;
    target_options.video = dir / "clip.mkv";
    target_options.output = target;
    target_options.crop_size = 128;
    extract::extract_target(target_options, analysers);
    extract::SourceOptions source_options;
    for (const auto& photo : test::face_photos()) source_options.inputs.push_back(photo.path);
    source_options.output = source;
    source_options.crop_size = 128;
    source_options.outlier_similarity = -1;
    extract::extract_source(source_options, analysers);
    test::write_tiny_stable_diffusion(model);
    test::train_tiny_identity_adapter(source, model, identity, 3);
  }
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

// The options as the modeler page sends them, through the schema.
LoraTrainOptions small_training(const fs::path& output, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json values{{"dataset", fixture().target.string()},
                        {"output", output.string()},
                        {"model", fixture().model.string()},
                        {"resolution", 64},
                        {"rank", 8},
                        {"alpha", 8.0},
                        {"steps", 300},
                        {"batch", 6},  // the whole dataset: one step per epoch, so every step is evaluated
                        {"accumulation", 1},
                        {"lr", 3e-3},
                        {"snr_gamma", 0.0},
                        {"sample_every", 0},
                        {"seed", 5}};
  values.update(extra);
  return lora_train_options(options::resolve_lora_options(values), core::ComputeChoice{});
}

std::map<std::string, at::Tensor> snapshot(const torch::nn::Module& module) {
  std::map<std::string, at::Tensor> out;
  for (const auto& [key, value] : core::module_state(module)) out[key] = value.clone();
  return out;
}

TEST(LoraTraining, TheFixedNoiseLossFallsByHalf) {
  ASSERT_EQ(dataset::read_records(fixture().target).size(), 6u);
  test::TempDir out;
  test::TrainingLog log;
  const LoraTrainResult result = train_lora(small_training(out / "lora"), &log);
  log.expect_loss_halved(300u);
  EXPECT_EQ(result.faces, 6u);
  EXPECT_EQ(result.layers, 32u);  // 4 transformers x 2 attention layers x 4 projections
}

TEST(LoraTraining, OnlyLoraWeightsLearnWithTheIdentityAdapterFrozenButActive) {
  test::TempDir out;
  const LoraTrainOptions plain = small_training(out / "plain");
  const LoraTrainOptions options = small_training(out / "lora", {{"identity", fixture().identity.string()}});
  const denoising::FaceTrainingData data(
      options.dataset,
      {.kind = "target", .resolution = 64, .control = face::ControlImage::keypoints_5, .embeddings = true});
  diffusion::StableDiffusion sd = diffusion::StableDiffusion::load(options.base_model);
  // Without the identity adapter, for comparison: the same faces, noise and timesteps.
  diffusion::StableDiffusion bare = diffusion::StableDiffusion::load(options.base_model);
  LoraTask without(plain, data, bare, 3);
  LoraTask task(options, data, sd, 3);
  const auto unet_before = snapshot(*sd.unet),
             text_before = snapshot(*sd.text_encoder);  // with the adapter's processors
  task.set_effective_batch(6);
  without.set_effective_batch(6);
  torch::manual_seed(1);
  const at::Tensor with_identity = task.loss_at(0, 0, 6);
  torch::manual_seed(1);
  EXPECT_GT(std::abs(with_identity.item<double>() - without.loss_at(0, 0, 6).item<double>()), 1e-6);  // active

  torch::optim::AdamW optimizer(task.model().parameters(), torch::optim::AdamWOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    optimizer.zero_grad();
    torch::manual_seed(step);
    task.loss_at(step, 0, 6).backward();
    optimizer.step();
  }
  for (const auto& p : task.model().named_parameters()) EXPECT_TRUE(p.value().grad().defined()) << p.key();
  // The UNet's own weights and the identity adapter's (the .processor. ones inside the UNet) did not move.
  for (const auto& [key, value] : core::module_state(*sd.unet)) {
    if (key.find(".lora.") != std::string::npos) continue;
    ASSERT_TRUE(unet_before.count(key)) << key;
    EXPECT_TRUE(value.equal(unet_before.at(key))) << key << " changed";
  }
  for (const auto& [key, value] : core::module_state(*sd.text_encoder))
    EXPECT_TRUE(value.equal(text_before.at(key))) << key;
  for (const auto& p : sd.unet->named_parameters()) {
    if (p.key().find(".processor.") != std::string::npos) {
      EXPECT_FALSE(p.value().grad().defined()) << p.key();
    }
  }
  double b = 0;
  for (const auto& p : task.lora().parameters()) b += p.abs().sum().item<double>();
  EXPECT_GT(b, 0.0);
}

TEST(LoraTraining, AStoppedRunResumesToTheSameWeights) {
  test::TempDir out;
  const nlohmann::json short_run{{"steps", 6}, {"batch", 2}, {"accumulation", 2}, {"dropout", 0.1}};
  train_lora(small_training(out / "whole", short_run));
  const LoraTrainOptions options = small_training(out / "resumed", short_run);
  EXPECT_EQ(train_lora(options, nullptr, nullptr, 3).train.step, 3);
  EXPECT_EQ(train_lora(options).train.step, 6);
  const auto whole = core::load_safetensors(out / "whole/pytorch_lora_weights.safetensors");
  const auto resumed = core::load_safetensors(out / "resumed/pytorch_lora_weights.safetensors");
  ASSERT_EQ(whole.size(), resumed.size());
  for (const auto& [key, value] : whole) EXPECT_TRUE(value.equal(resumed.at(key))) << key;
}

TEST(LoraTraining, AStoppedRunLeavesItsCheckpointButNoFinishedLora) {
  test::TempDir out;
  const std::atomic<bool> stop{true};
  const LoraTrainResult result = train_lora(small_training(out / "lora", {{"steps", 4}}), nullptr, &stop);
  EXPECT_TRUE(result.train.cancelled);
  EXPECT_TRUE(fs::exists(out / "lora" / "checkpoints" / "latest"));
  EXPECT_FALSE(fs::exists(out / "lora" / "pytorch_lora_weights.safetensors"));
  EXPECT_FALSE(fs::exists(out / "lora" / "lora.json"));
}

TEST(LoraTraining, SavesPeftFilesCaptionsAndSamples) {
  test::TempDir out;
  fs::copy(fixture().target, out / "target", fs::copy_options::recursive);
  const auto records = dataset::read_records(out / "target");
  set_captions(out / "target", {{records[1].id, "a photo of [identity] person under blue light"}});
  test::TrainingLog log;
  const LoraTrainOptions options = small_training(out / "lora", {{"dataset", (out / "target").string()},
                                                                 {"steps", 1},
                                                                 {"sample_every", 1},
                                                                 {"sample_steps", 2},
                                                                 {"text_encoder_modules", {"q_proj", "v_proj"}}});
  const LoraTrainResult result = train_lora(options, &log);
  ASSERT_EQ(result.samples.size(), 1u);
  EXPECT_EQ(log.samples, std::vector<std::string>{result.samples.front().string()});
  const auto weights = core::load_safetensors(out / "lora/pytorch_lora_weights.safetensors");
  EXPECT_TRUE(weights.count("unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight"));
  EXPECT_TRUE(weights.count("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_B.weight"));
  const auto config = core::read_json_file(out / "lora/adapter_config.json");
  EXPECT_EQ(config.at("r"), 8);
  EXPECT_EQ(config.at("target_modules"), nlohmann::json({"to_q", "to_k", "to_v", "to_out.0"}));
  const auto info = core::read_json_file(out / "lora/lora.json");
  EXPECT_EQ(info.at("captions"),
            nlohmann::json({"a high quality photo of ohwx person", "a photo of ohwx person under blue light"}));

  // Loaded back into a fresh pipeline with its text encoder, the LoRA reproduces the trained model's output.
  diffusion::StableDiffusion sd = diffusion::StableDiffusion::load(options.base_model);
  const auto loaded =
      diffusion::LoraSet::load(*sd.unet, out / "lora/pytorch_lora_weights.safetensors", sd.text_encoder.get());
  EXPECT_EQ(loaded.size(), result.layers);
  EXPECT_EQ(loaded.config().text_encoder_target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));

  const LoraPlan plan = plan_lora(options);
  EXPECT_EQ(plan.layers.size(), result.layers);
  EXPECT_EQ(plan.trainable_parameters, result.trainable_parameters);
  EXPECT_EQ(plan.captions[1].second, "a photo of ohwx person under blue light");
  EXPECT_EQ(test::error_code([&] { set_captions(out / "target", {{"nobody", "x"}}); }), ErrorCode::invalid_input);
}

TEST(LoraTraining, OptionsAreCheckedByTheSchemaAndTyped) {
  nlohmann::json values{{"dataset", "/tmp/x"}, {"output", "/tmp/y"}, {"target_modules", {"to_q", "conv1"}}};
  const LoraTrainOptions options = lora_train_options(options::resolve_lora_options(values), core::ComputeChoice{});
  EXPECT_EQ(options.lora.target_modules, (std::vector<std::string>{"to_q", "conv1"}));
  EXPECT_EQ(options.lora.rank, 16);
  EXPECT_NEAR(options.snr_gamma, 5.0, 1e-12);
  EXPECT_EQ(options.device, "cpu");
  std::string message;
  for (const auto& [bad, named] :
       std::vector<std::pair<nlohmann::json, std::string>>{{{{"rank", 0}}, "option rank must be at least 1"},
                                                           {{{"rank", 2.5}}, "option rank must be a whole number"},
                                                           {{{"lr", "fast"}}, "option lr must be a number"},
                                                           {{{"target_modules", {"to_q", "to_zz"}}}, "holds 'to_zz'"},
                                                           {{{"resolution", 100}}, "multiple of 8"},
                                                           {{{"ranks", 4}}, "unknown option ranks"}}) {
    nlohmann::json given = values;
    given.update(bad);
    EXPECT_EQ(test::error_code([&] { options::resolve_lora_options(given); }, &message), ErrorCode::invalid_input)
        << bad;
    EXPECT_NE(message.find(named), std::string::npos) << message;
  }
  nlohmann::json no_dataset = values;
  no_dataset.erase("dataset");
  EXPECT_EQ(test::error_code([&] { options::resolve_lora_options(no_dataset); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("option dataset is required"), std::string::npos) << message;
  const nlohmann::json schema = core::schema_json(options::lora_option_schema());
  const auto rank = std::find_if(schema.begin(), schema.end(), [](const auto& o) { return o.at("name") == "rank"; });
  ASSERT_NE(rank, schema.end());
  EXPECT_EQ(rank->at("default"), 16);
  EXPECT_EQ(rank->at("label"), "LoRA rank");
}

TEST(LoraTraining, BadInputsFailBeforeTraining) {
  test::TempDir out;
  std::string message;
  // The source dataset is not what LoRA learns from.
  LoraTrainOptions options = small_training(out / "a", {{"dataset", fixture().source.string()}});
  EXPECT_EQ(test::error_code([&] { train_lora(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("this is a source dataset"), std::string::npos) << message;
  // No base model.
  options = small_training(out / "b", {{"model", (out / "models/base_diffusion/stable-diffusion-v1-5").string()}});
  EXPECT_EQ(test::error_code([&] { train_lora(options); }, &message), ErrorCode::missing_model);
  // An identity adapter for embeddings of another width.
  fs::copy(fixture().identity, out / "wide", fs::copy_options::recursive);
  auto info = core::read_json_file(out / "wide/identity.json");
  info["resampler"]["embedding_dim"] = 999;
  core::write_json_file(out / "wide/identity.json", info);
  options = small_training(out / "c", {{"identity", (out / "wide").string()}});
  EXPECT_EQ(test::error_code([&] { train_lora(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("999-wide"), std::string::npos) << message;
  // A caption longer than the text encoder reads, named by its face.
  fs::copy(fixture().target, out / "target", fs::copy_options::recursive);
  const auto records = dataset::read_records(out / "target");
  std::string wordy;
  for (int i = 0; i < 90; ++i) wordy += "photo ";
  set_captions(out / "target", {{records[2].id, wordy}});
  options = small_training(out / "d", {{"dataset", (out / "target").string()}});
  EXPECT_EQ(test::error_code([&] { train_lora(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("caption of face " + records[2].id), std::string::npos) << message;
  // Target modules that name nothing in the text encoder.
  options = small_training(out / "e");
  options.lora.text_encoder_target_modules = {"to_q"};
  EXPECT_EQ(test::error_code([&] { train_lora(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("no layer matches"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out / "e" / "checkpoints"));
}

}  // namespace
}  // namespace wf::lora
