// The generative and ONNX engines through the same driver and media as the offline one. Generative: a tiny model
// set in diffusers layout (SD folder, an identity adapter trained a few steps on the source, a LoRA) swaps the
// clip end to end into a valid video, and the same seed gives the same video twice. ONNX: a file with
// inswapper_128's names and shapes, written by Debian's python3-onnx with a closed-form output, gets exactly the
// ArcFace crop and the embedding-map latent inswapper expects.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <random>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "options/lora_options.h"
#include "support/error_code.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/tiny_identity_adapter.h"
#include "support/tiny_stable_diffusion.h"
#include "swap/frame_swapper.h"
#include "swap/onnx_engine.h"
#include "swap/onnx_initializer.h"
#include "swap/swap_driver.h"
#include "swap_media.h"
#include "train/trainers/lora/lora_trainer.h"

namespace wf::swap {
namespace {
namespace fs = std::filesystem;
using test::decode;
using test::media;

// A tiny SD, an identity adapter trained on the source and a LoRA trained on the target, made once.
struct TinyModels {
  test::TempDir dir;
  fs::path sd = dir / "sd", identity = dir / "identity", lora = dir / "lora";
  TinyModels() {
    test::write_tiny_stable_diffusion(sd);
    test::train_tiny_identity_adapter(media().source, sd, identity, 2);
    const nlohmann::json values{{"dataset", media().target.string()},
                                {"output", lora.string()},
                                {"model", sd.string()},
                                {"identity", identity.string()},
                                {"resolution", 64},
                                {"rank", 4},
                                {"steps", 2},
                                {"batch", 2},
                                {"accumulation", 1},
                                {"sample_every", 0}};
    lora::train_lora(lora::lora_train_options(options::resolve_lora_options(values), core::ComputeChoice{}));
  }
};

const TinyModels& tiny() {
  static const TinyModels instance;
  return instance;
}

SwapOptions generative(const fs::path& output) {
  SwapOptions options = default_swap_options();
  options.source = media().source;
  options.target = media().target;
  options.output = output;
  options.lossless = true;
  options.engine = EngineKind::generative;
  options.generative.base_model = tiny().sd;
  options.generative.identity = tiny().identity;
  options.generative.lora = tiny().lora;
  options.generative.steps = 2;
  options.generative.seed = 7;
  return options;
}

TEST(GenerativeEngine, SwapsTheClipEndToEndAndTheSameSeedGivesTheSameVideo) {
  test::TempDir out;
  const SwapSummary first = swap_video(generative(out / "first.mkv"));
  EXPECT_EQ(first.frames, 10);
  EXPECT_EQ(first.swapped, static_cast<std::int64_t>(dataset::read_records(media().target).size()));
  swap_video(generative(out / "second.mkv"));
  const auto a = decode(out / "first.mkv"), b = decode(out / "second.mkv"), original = decode(media().video);
  ASSERT_EQ(a.size(), 10u);
  ASSERT_EQ(b.size(), a.size());
  double changed = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(cv::norm(a[i], b[i], cv::NORM_INF), 0) << "frame " << i << " differs between runs with one seed";
    changed += cv::norm(a[i], original[i], cv::NORM_L1);
  }
  EXPECT_GT(changed, 0) << "the engine changed nothing";
  // Another seed, another face.
  SwapOptions other = generative(out / "other.mkv");
  other.generative.seed = 8;
  swap_video(other);
  EXPECT_GT(cv::norm(decode(out / "other.mkv")[0], a[0], cv::NORM_INF), 0);
}

// What review's repairs rely on: new sampling settings on the loaded models give exactly the frame a swap started
// with them gives, and settings that would need other models are refused.
TEST(GenerativeEngine, NewSettingsOnLoadedModelsGiveWhatAFreshSwapWithThemGives) {
  test::TempDir out;
  const cv::Mat frame = decode(media().video).at(0);
  FrameSwapper swapper(generative(out / "a.mkv"));
  const cv::Mat first = swapper.swap(frame, 0);
  SwapOptions changed = generative(out / "a.mkv");
  changed.generative.seed = 8;
  changed.generative.steps = 3;
  changed.generative.identity_scale = 1.0;
  changed.mask_grow = 0.03;
  swapper.set_options(changed);
  const cv::Mat again = swapper.swap(frame, 0);
  FrameSwapper fresh(changed);
  EXPECT_EQ(cv::norm(again, fresh.swap(frame, 0), cv::NORM_INF), 0);
  EXPECT_GT(cv::norm(again, first, cv::NORM_INF), 0);
  SwapOptions other_model = changed;
  other_model.generative.lora.clear();
  std::string message;
  EXPECT_EQ(test::error_code([&] { swapper.set_options(other_model); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("may not change the models"), std::string::npos) << message;
}

TEST(GenerativeEngine, MissingModelsAndMismatchedEmbeddingsAreExplained) {
  test::TempDir out;
  std::string message;
  SwapOptions options = generative(out / "a.mkv");
  options.generative.identity = out / "no_adapter";
  EXPECT_EQ(test::error_code([&] { swap_video(options); }, &message), ErrorCode::missing_model);
  EXPECT_NE(message.find("identity adapter"), std::string::npos) << message;
  options = generative(out / "b.mkv");
  options.generative.base_model = out / "no_sd";
  EXPECT_EQ(test::error_code([&] { swap_video(options); }, &message), ErrorCode::missing_model);
  // A source without embeddings.
  fs::copy(media().source, out / "bare", fs::copy_options::recursive);
  auto records = dataset::read_records(out / "bare");
  for (auto& r : records) r.embedding.clear();
  dataset::rewrite_records(out / "bare", records);
  options = generative(out / "c.mkv");
  options.source = out / "bare";
  EXPECT_EQ(test::error_code([&] { swap_video(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("no identity embeddings"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out / "c.mkv"));
}

// The source dataset with 512-wide (ArcFace-sized) embeddings, as an ArcFace embedder would have written.
fs::path arcface_source(const test::TempDir& dir, std::vector<float>& mean) {
  fs::copy(media().source, dir / "source512", fs::copy_options::recursive);
  auto records = dataset::read_records(dir / "source512");
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (auto& r : records) {
    r.embedding.resize(512);
    double norm = 0;
    for (auto& v : r.embedding) {
      v = normal(rng);
      norm += v * v;
    }
    for (auto& v : r.embedding) v = static_cast<float>(v / std::sqrt(norm));
  }
  mean = records.front().embedding;  // one face: its embedding is the mean
  dataset::rewrite_records(dir / "source512", records);
  return dir / "source512";
}

TEST(OnnxEngine, FeedsInswappersInputsAndReadsItsOutput) {
  test::TempDir out;
  const auto made = test::run_command({"/usr/bin/python3", WF_MAKE_INSWAPPER, (out / "inswapper_like.onnx").string()});
  ASSERT_EQ(made.status, 0) << made.output;
  const auto initializers = read_onnx_initializers(out / "inswapper_like.onnx");
  ASSERT_EQ(initializers.size(), 4u);
  EXPECT_EQ(initializers.back().name, "emap");
  EXPECT_EQ(initializers.back().dims, (std::vector<std::int64_t>{512, 512}));

  std::vector<float> embedding;
  OnnxSwapEngine engine(load_source_faces(arcface_source(out, embedding)), out / "inswapper_like.onnx");
  // latent = normalise(embedding . emap) = the embedding reversed (emap = 3 x the reversed identity).
  for (std::size_t i = 0; i < 512; ++i) ASSERT_NEAR(engine.latent()[i], embedding[511 - i], 1e-5) << i;
  cv::Mat aligned(128, 128, CV_8UC3);
  cv::randu(aligned, 0, 255);
  const cv::Mat swapped = engine.swap_aligned(aligned);
  // output = 0.5 target + latent . W per channel, W[i, c] = ((7 (3 i + c)) % 11 - 5) / 50; BGR out, RGB in.
  double offset[3] = {0, 0, 0};
  for (int i = 0; i < 512; ++i) {
    for (int c = 0; c < 3; ++c)
      offset[c] += engine.latent()[static_cast<std::size_t>(i)] * (((7 * (3 * i + c)) % 11) - 5) / 50.0;
  }
  double worst = 0;
  for (int y = 0; y < 128; ++y) {
    for (int x = 0; x < 128; ++x) {
      for (int c = 0; c < 3; ++c) {  // c: RGB channel; BGR index 2 - c
        const double expected =
            std::clamp((0.5 * aligned.at<cv::Vec3b>(y, x)[2 - c] / 255.0 + offset[c]) * 255.0, 0.0, 255.0);
        worst = std::max(worst, std::abs(expected - swapped.at<cv::Vec3b>(y, x)[2 - c]));
      }
    }
  }
  EXPECT_LE(worst, 1.0);

  // Through the driver: the ArcFace crop of every tracked face goes in, a video comes out.
  SwapOptions options = default_swap_options();
  options.source = out / "source512";
  options.target = media().target;
  options.output = out / "onnx.mkv";
  options.lossless = true;
  options.engine = EngineKind::onnx;
  options.onnx_model = out / "inswapper_like.onnx";
  EXPECT_EQ(swap_video(options).frames, 10);
  EXPECT_EQ(decode(out / "onnx.mkv").size(), 10u);
  // The 256-wide embeddings of the offline embedder do not fit a 512-wide swapper.
  options.source = media().source;
  std::string message;
  EXPECT_EQ(test::error_code([&] { swap_video(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("512-wide"), std::string::npos) << message;
  options.onnx_model = out / "missing.onnx";
  EXPECT_EQ(test::error_code([&] { swap_video(options); }), ErrorCode::missing_model);
  // A file cut short, and one that is not protobuf at all: corrupt_file naming the file, never a crash.
  const std::string bytes = test::read_text(out / "inswapper_like.onnx");
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"cut.onnx", bytes.substr(0, bytes.size() / 2)}, {"text.onnx", std::string(4096, '\xff')}}) {
    std::ofstream(out / name, std::ios::binary) << content;
    EXPECT_EQ(test::error_code([&] { read_onnx_initializers(out / name); }, &message), ErrorCode::corrupt_file) << name;
    EXPECT_NE(message.find(name), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace wf::swap
