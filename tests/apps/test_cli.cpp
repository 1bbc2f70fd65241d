// The CLI as a user runs it: a fresh HOME, the real binary, exit statuses and printed text.

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <optional>
#include <regex>
#include <thread>

#include "diffusion/lora.h"
#include "diffusion/stable_diffusion.h"
#include "support/run_command.h"
#include "support/safetensors_difference.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::app {
namespace {

class Cli : public ::testing::Test {
 protected:
  std::vector<std::string> environment() const {
    return {"HOME=" + home_.path().string(), "XDG_CONFIG_HOME=" + (home_ / ".config").string(),
            "XDG_DATA_HOME=" + (home_ / ".local/share").string()};
  }
  test::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), WF_BINARY);
    return test::run_command(args, environment());
  }
  // The group photo panning for `frames` frames as the target dataset, Grace Hopper as the source.
  void extract_swap_inputs(int frames, const std::string& target, const std::string& source) {
    test::group_photo_clip(frames).write(home_ / "party.mkv");
    ASSERT_EQ(run({"extract", "--target", (home_ / "party.mkv").string(), "--output", target, "--crop", "128"}).status,
              0);
    ASSERT_EQ(
        run({"extract", "--source", "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg", "--output", source})
            .status,
        0);
  }
  test::TempDir home_;
};

TEST_F(Cli, EveryVerbHasHelp) {
  for (const char* verb : {"ui", "extract", "train", "generate", "swap", "review", "run", "jobs", "models", "doctor",
                           "bench", "version"}) {
    const auto result = run({verb, "--help"});
    EXPECT_EQ(result.status, 0) << verb << ": " << result.output;
    EXPECT_NE(result.output.find("Usage"), std::string::npos) << verb;
  }
  const auto top = run({"--help"});
  EXPECT_EQ(top.status, 0);
  EXPECT_NE(top.output.find("doctor"), std::string::npos);
}

TEST_F(Cli, BenchMeasuresEachChosenPartAndNamesTheMachine) {
  const auto result = run({"--threads", "1", "bench", "--only", "faces,xseg_infer,unet_tiny", "--runs", "2",
                           "--xseg-size", "64", "--json"});
  ASSERT_EQ(result.status, 0) << result.output;
  const auto report = nlohmann::json::parse(result.output.substr(result.output.find('{')));
  EXPECT_FALSE(report.at("machine").at("libtorch").get<std::string>().empty());
  EXPECT_EQ(report.at("machine").at("threads"), 1);
  EXPECT_GE(report.at("machine").at("cores").get<int>(), 1);
  const auto& results = report.at("results");
  ASSERT_EQ(results.size(), 3u);
  const std::vector<std::string> names{"faces", "xseg_infer", "unet_tiny"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& r = results.at(i);
    EXPECT_EQ(r.at("name"), names[i]);
    EXPECT_EQ(r.at("runs"), 2);
    EXPECT_GT(r.at("median_s").get<double>(), 0) << names[i];
    EXPECT_GT(r.at("peak_rss_bytes").get<double>(), 16.0 * 1024 * 1024) << names[i];
  }
  // The packaged sample photo holds three people; each run analyses every face it finds, so rate x time counts
  // them. One run of the others does one item.
  EXPECT_NEAR(results[0].at("rate").get<double>() * results[0].at("median_s").get<double>(), 3.0, 0.01);
  EXPECT_NEAR(results[1].at("rate").get<double>() * results[1].at("median_s").get<double>(), 1.0, 1e-6);
}

TEST_F(Cli, BenchNamesTheMeasurementsItKnows) {
  const auto result = run({"bench", "--only", "swap_everything"});
  EXPECT_EQ(result.status, 3) << result.output;
  EXPECT_NE(result.output.find("swap_everything"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("xseg_train"), std::string::npos) << result.output;
}

TEST_F(Cli, VersionNamesLibtorch) {
  const auto result = run({"version"});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("watserface 0."), std::string::npos);
  EXPECT_NE(result.output.find("libtorch "), std::string::npos);
}

TEST_F(Cli, DoctorOnAFreshHomeFindsEmbeddedModelsAndNamesMissingOnes) {
  const auto result = run({"doctor"});
  EXPECT_EQ(result.status, 0) << result.output;
  const std::string models_dir = (home_ / ".local/share/watserface/models").string();
  EXPECT_NE(result.output.find("your files go under " + models_dir), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(models_dir + "/base_diffusion/stable-diffusion-v1-5/model_index.json"),
            std::string::npos);
  EXPECT_NE(result.output.find(models_dir + "/face_embedder/w600k_r50.onnx"), std::string::npos);
  EXPECT_NE(result.output.find("Ready: every embedded model is installed"), std::string::npos);
}

TEST_F(Cli, DoctorJsonAndModelsListAgree) {
  const auto doctor = run({"doctor", "--json"});
  EXPECT_EQ(doctor.status, 0);
  EXPECT_NE(doctor.output.find("\"role\": \"base_diffusion\""), std::string::npos);
  const auto models = run({"models"});
  EXPECT_EQ(models.status, 0);
  EXPECT_NE(models.output.find("base_diffusion  [missing]"), std::string::npos) << models.output;
  EXPECT_NE(models.output.find("face_detector  [installed]"), std::string::npos);
  // Present files are listed with their size (the dlib predictor is about 95 MiB).
  EXPECT_NE(models.output.find("shape_predictor_68_face_landmarks.dat (9"), std::string::npos) << models.output;
  EXPECT_NE(doctor.output.find("\"bytes\": "), std::string::npos);
}

TEST_F(Cli, BadSettingsFileGivesOneClearMessage) {
  test::write_text(home_ / "bad.json", R"({"port": "seventy"})");
  const auto result = run({"--config", (home_ / "bad.json").string(), "doctor"});
  EXPECT_EQ(result.status, 3) << result.output;
  EXPECT_NE(result.output.find("error: setting 'port' must be an integer"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("file: " + (home_ / "bad.json").string()), std::string::npos);
  EXPECT_NE(result.output.find("fix:"), std::string::npos);
  EXPECT_EQ(result.output.find("terminate"), std::string::npos);
}

int free_port() {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(sock);
  return ntohs(address.sin_port);
}

TEST_F(Cli, UiServesThePageUntilCtrlC) {
  const int port = free_port();
  test::BackgroundCommand ui({WF_BINARY, "ui", "--port", std::to_string(port)}, environment(), home_ / "ui.log");
  httplib::Client client("127.0.0.1", port);
  std::optional<httplib::Response> page;
  for (int attempt = 0; attempt < 100 && !page; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (auto result = client.Get("/")) page = *result;
  }
  ASSERT_TRUE(page) << test::read_text(home_ / "ui.log");
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("WatserFace"), std::string::npos);
  ui.send_signal(SIGINT);
  EXPECT_EQ(ui.wait(), 0);
  EXPECT_NE(test::read_text(home_ / "ui.log").find("http://127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST_F(Cli, ExtractSourceWritesADatasetAndSaysWhatItFound) {
  const std::string output = (home_ / "source").string();
  const auto result = run({"extract", "--source", "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
                           "/usr/lib/python3/dist-packages/skimage/data/astronaut.png", "--output", output});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("2 faces from 2 frames"), std::string::npos) << result.output;
  EXPECT_TRUE(std::filesystem::exists(home_ / "source/dataset.json"));
  EXPECT_TRUE(std::filesystem::exists(home_ / "source/identity.json"));

  // A clip with nobody in it: an honest empty result, every frame listed.
  const auto clip = (home_ / "empty.mkv").string();
  ASSERT_EQ(test::run_command({"/usr/bin/ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=gray:s=160x120:d=1",
                               "-r", "5", "-c:v", "ffv1", clip})
                .status,
            0);
  const auto target = run({"extract", "--target", clip, "--output", (home_ / "target").string()});
  EXPECT_EQ(target.status, 1) << target.output;
  std::smatch counts;
  ASSERT_TRUE(std::regex_search(target.output, counts,
                                std::regex(R"(0 faces from (\d+) frames; (\d+) frames without the face)")))
      << target.output;
  EXPECT_EQ(counts[1], counts[2]);  // every frame listed
  EXPECT_GE(std::stoi(counts[1]), 5);
  const auto missing = run({"extract", "--source", (home_ / "nope.jpg").string(), "--output", output});
  EXPECT_EQ(missing.status, 4) << missing.output;
  EXPECT_NE(missing.output.find("nope.jpg"), std::string::npos);
}

std::size_t lines_in(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return 0;
  const std::string text = test::read_text(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Waits (up to a minute) until a file a running command appends to holds `count` lines.
void wait_for_lines(const std::filesystem::path& path, std::size_t count) {
  for (int wait = 0; wait < 1200 && lines_in(path) < count; ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// Every file of a dataset folder, by relative path, with its bytes.
std::map<std::string, std::string> files_of(const std::filesystem::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file())
      files[entry.path().lexically_relative(folder).string()] = test::read_text(entry.path());
  }
  return files;
}

TEST_F(Cli, KilledTargetExtractionResumesToTheSameDataset) {
  const test::PanningClip clip = test::group_photo_clip(16);
  const auto video = home_ / "party.mkv";
  clip.write(video);
  const auto whole = run({"extract", "--target", video.string(), "--output", (home_ / "whole").string()});
  ASSERT_EQ(whole.status, 0) << whole.output;

  const auto resumed = home_ / "resumed";
  {
    test::BackgroundCommand first({WF_BINARY, "extract", "--target", video.string(), "--output", resumed.string()},
                                  environment(), home_ / "first.log");
    wait_for_lines(resumed / "metadata.jsonl", 5);
    first.send_signal(SIGKILL);
    first.wait();
  }
  const std::size_t before_kill = lines_in(resumed / "metadata.jsonl");
  ASSERT_GE(before_kill, 5u) << test::read_text(home_ / "first.log");
  ASSERT_LT(before_kill, 16u) << "the first run finished before it was killed";
  EXPECT_FALSE(std::filesystem::exists(resumed / "dataset.json"));

  const auto second = run({"extract", "--target", video.string(), "--output", resumed.string()});
  ASSERT_EQ(second.status, 0) << second.output;
  const auto expected = files_of(home_ / "whole");
  const auto got = files_of(resumed);
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [name, bytes] : expected) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(got.at(name) == bytes) << name << " differs after the resumed run";
  }
  RecordProperty("faces_before_the_kill", static_cast<int>(before_kill));
}

TEST_F(Cli, TrainXsegStopsOnCtrlCResumesAndItsMasksGoIntoTheDataset) {
  const test::PanningClip clip = test::group_photo_clip(8);
  const auto video = home_ / "party.mkv";
  clip.write(video);
  const auto dataset = (home_ / "target").string(), model = (home_ / "xseg").string();
  ASSERT_EQ(run({"extract", "--target", video.string(), "--output", dataset, "--crop", "128"}).status, 0);

  const std::vector<std::string> train = {
      WF_BINARY,  "train",    "xseg",         "--dataset", dataset,
      "--output", model,      "--resolution", "32",        "--batch",
      "2",        "--epochs", "400",          "--events",  (home_ / "events.jsonl").string()};
  {
    test::BackgroundCommand first(train, environment(), home_ / "train.log");
    wait_for_lines(home_ / "events.jsonl", 4);
    first.send_signal(SIGINT);
    EXPECT_EQ(first.wait(), 130) << test::read_text(home_ / "train.log");
  }
  EXPECT_NE(test::read_text(home_ / "train.log").find("stopped, resumable"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(home_ / "xseg/checkpoints/latest"));
  EXPECT_TRUE(std::filesystem::exists(home_ / "xseg/model.safetensors"));

  const auto resumed = run({"train", "xseg", "--dataset", dataset, "--output", model, "--resolution", "32", "--batch",
                            "2", "--epochs", "2"});  // fewer epochs than already done: nothing left but the report
  EXPECT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("held-out IoU"), std::string::npos) << resumed.output;

  const auto applied = run({"apply", "xseg", "--dataset", dataset, "--model", model});
  EXPECT_EQ(applied.status, 0) << applied.output;
  EXPECT_NE(applied.output.find("xseg masks written for 8 faces"), std::string::npos) << applied.output;
  EXPECT_NE(test::read_text(home_ / "target/metadata.jsonl").find(R"("mask_origin":"xseg")"), std::string::npos);

  const auto missing = run({"apply", "xseg", "--dataset", dataset, "--model", (home_ / "nothing").string()});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("train one first"), std::string::npos) << missing.output;
}

// The bytes of every file under `folder`, by path.
std::map<std::string, std::string> files_under(const std::filesystem::path& folder) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file())
      out[std::filesystem::relative(entry.path(), folder).string()] = test::read_text(entry.path());
  }
  return out;
}

TEST_F(Cli, AFullDiskStopsTrainingWithOneMessageAndKeepsTheLastCheckpoint) {
  const auto video = home_ / "party.mkv";
  test::group_photo_clip(8).write(video);
  const auto dataset = (home_ / "target").string(), model = (home_ / "xseg").string();
  ASSERT_EQ(run({"extract", "--target", video.string(), "--output", dataset, "--crop", "128"}).status, 0);
  const std::vector<std::string> train = {"train",        "xseg", "--dataset", dataset, "--output",           model,
                                          "--resolution", "32",   "--batch",   "2",     "--checkpoint-every", "4"};
  auto with_epochs = [&](const char* epochs) {
    std::vector<std::string> args = train;
    args.insert(args.end(), {"--epochs", epochs});
    return args;
  };
  ASSERT_EQ(run(with_epochs("1")).status, 0);
  const auto before = files_under(home_ / "xseg");

  // Files may grow to 1 MB: the events and metadata fit, a checkpoint of the network does not.
  std::vector<std::string> limited = {"/usr/bin/prlimit", "--fsize=1000000", WF_BINARY};
  for (const auto& arg : with_epochs("3")) limited.push_back(arg);
  const auto full = test::run_command(limited, environment());
  if (const auto said = full.output.rfind("error:"); said != std::string::npos) {
    std::cout << "what a full disk says:\n" << full.output.substr(said) << "\n";
  }
  EXPECT_EQ(full.status, 9) << full.output;  // disk full
  EXPECT_NE(full.output.find("error:"), std::string::npos) << full.output;
  EXPECT_NE(full.output.find(model), std::string::npos) << "the message names the file: " << full.output;
  EXPECT_EQ(full.output.find("bug"), std::string::npos) << full.output;
  EXPECT_EQ(files_under(home_ / "xseg"), before)
      << "the model and its last checkpoint are as they were, no temporary file left";

  const auto resumed = run(with_epochs("3"));
  EXPECT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(files_under(home_ / "xseg"), before);
}

TEST_F(Cli, GenerateDrawsReproduciblyAndInpaintsOnlyInsideTheMask) {
  test::write_tiny_stable_diffusion(home_ / "sd");
  const std::string model = (home_ / "sd").string();
  const auto txt2img = run({"generate", "--model", model, "--prompt", "a portrait", "--width", "48", "--height", "32",
                            "--steps", "3", "--seed", "5", "--output", (home_ / "a.png").string()});
  ASSERT_EQ(txt2img.status, 0) << txt2img.output;
  EXPECT_NE(txt2img.output.find("48x32, 3 steps of dpmpp_2m, seed 5"), std::string::npos) << txt2img.output;
  const cv::Mat first = cv::imread((home_ / "a.png").string());
  EXPECT_EQ(first.cols, 48);
  EXPECT_EQ(first.rows, 32);
  ASSERT_EQ(run({"generate", "--model", model, "--prompt", "a portrait", "--width", "48", "--height", "32", "--steps",
                 "3", "--seed", "5", "--output", (home_ / "b.png").string()})
                .status,
            0);
  EXPECT_EQ(cv::norm(first, cv::imread((home_ / "b.png").string()), cv::NORM_INF), 0.0);

  cv::Mat photo(64, 64, CV_8UC3);
  cv::randu(photo, 0, 255);
  cv::Mat mask = cv::Mat::zeros(64, 64, CV_8UC1);
  mask(cv::Rect(16, 16, 32, 32)).setTo(255);
  cv::imwrite((home_ / "photo.png").string(), photo);
  cv::imwrite((home_ / "mask.png").string(), mask);
  const auto inpaint =
      run({"generate", "--model", model, "--prompt", "a smile", "--image", (home_ / "photo.png").string(), "--mask",
           (home_ / "mask.png").string(), "--steps", "3", "--output", (home_ / "c.png").string()});
  ASSERT_EQ(inpaint.status, 0) << inpaint.output;
  const cv::Mat painted = cv::imread((home_ / "c.png").string());
  cv::Mat keep;
  cv::bitwise_not(mask, keep);
  EXPECT_EQ(cv::norm(painted, photo, cv::NORM_INF, keep), 0.0);  // outside the mask: the photo, byte for byte
  EXPECT_GT(cv::norm(painted, photo, cv::NORM_INF, mask), 0.0);

  // A LoRA changes the image; at scale 0 it is the plain one again.
  {
    auto sd = diffusion::StableDiffusion::load(home_ / "sd");
    auto lora = diffusion::LoraSet::inject(*sd.unet, {.rank = 4, .alpha = 4});
    torch::NoGradGuard no_grad;
    for (auto& p : lora.parameters()) p.normal_(0.0, 0.3);
    lora.save(home_ / "lora" / "pytorch_lora_weights.safetensors");
  }
  const std::vector<std::string> txt2img_args{
      "generate", "--model", model,      "--prompt", "a portrait",
      "--width",  "48",      "--height", "32",       "--steps",
      "3",        "--seed",  "5",        "--lora",   (home_ / "lora" / "pytorch_lora_weights.safetensors").string()};
  auto with = [&](std::vector<std::string> args, std::initializer_list<std::string> more) {
    args.insert(args.end(), more);
    return args;
  };
  ASSERT_EQ(run(with(txt2img_args, {"--output", (home_ / "styled.png").string()})).status, 0);
  ASSERT_EQ(run(with(txt2img_args, {"--lora-scale", "0", "--output", (home_ / "unstyled.png").string()})).status, 0);
  EXPECT_GT(cv::norm(first, cv::imread((home_ / "styled.png").string()), cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(first, cv::imread((home_ / "unstyled.png").string()), cv::NORM_INF), 0.0);

  const auto missing = run({"generate", "--model", (home_ / "none").string(), "--prompt", "x", "--output", "x.png"});
  EXPECT_EQ(missing.status, 4) << missing.output;
  EXPECT_NE(missing.output.find("fix:"), std::string::npos) << missing.output;
  const auto none_installed = run({"generate", "--prompt", "x", "--output", "x.png"});
  EXPECT_EQ(none_installed.status, 5) << none_installed.output;
  EXPECT_NE(none_installed.output.find("models/base_diffusion"), std::string::npos) << none_installed.output;
  cv::imwrite((home_ / "small_mask.png").string(), cv::Mat::zeros(32, 64, CV_8UC1));
  const auto bad_mask = run({"generate", "--model", model, "--prompt", "x", "--image", (home_ / "photo.png").string(),
                             "--mask", (home_ / "small_mask.png").string(), "--output", (home_ / "d.png").string()});
  EXPECT_EQ(bad_mask.status, 3) << bad_mask.output;
  EXPECT_NE(bad_mask.output.find("the mask is 64x32 but the image is 64x64"), std::string::npos) << bad_mask.output;
}

TEST_F(Cli, TrainIdentityWritesTheAdapterOrSaysWhichModelIsMissing) {
  const std::string source = (home_ / "source").string();
  ASSERT_EQ(run({"extract", "--source", "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
                 "/usr/lib/python3/dist-packages/skimage/data/astronaut.png", "--output", source})
                .status,
            0);
  const auto missing = run({"train", "identity", "--dataset", source, "--output", (home_ / "adapter").string()});
  EXPECT_EQ(missing.status, 5) << missing.output;
  EXPECT_NE(missing.output.find("models/base_diffusion"), std::string::npos) << missing.output;

  test::write_tiny_stable_diffusion(home_ / "sd");
  const auto trained = run({"train", "identity", "--dataset", source, "--output", (home_ / "adapter").string(),
                            "--model", (home_ / "sd").string(), "--epochs", "2", "--resolution", "64", "--batch", "2",
                            "--accumulation", "1", "--sample-every", "1"});
  ASSERT_EQ(trained.status, 0) << trained.output;
  EXPECT_NE(trained.output.find("trained at step 2 on 2 faces"), std::string::npos) << trained.output;
  for (const char* file : {"controlnet/config.json", "controlnet/diffusion_pytorch_model.safetensors",
                           "ip-adapter.safetensors", "identity.json", "samples/step-000000001.png"}) {
    EXPECT_TRUE(std::filesystem::exists(home_ / "adapter" / file)) << file;
  }
}

TEST_F(Cli, TrainLoraPlansTrainsAndChecksItsOptionsAsTheApiDoes) {
  const test::PanningClip clip = test::group_photo_clip(4);
  clip.write(home_ / "party.mkv");
  const std::string dataset = (home_ / "target").string(), output = (home_ / "style").string();
  ASSERT_EQ(run({"extract", "--target", (home_ / "party.mkv").string(), "--output", dataset, "--crop", "128"}).status,
            0);
  const auto missing = run({"train", "lora", "--dataset", dataset, "--output", output});
  EXPECT_EQ(missing.status, 5) << missing.output;
  EXPECT_NE(missing.output.find("models/base_diffusion"), std::string::npos) << missing.output;

  test::write_tiny_stable_diffusion(home_ / "sd");
  const std::vector<std::string> base = {"train",        "lora", "--dataset", dataset,
                                         "--output",     output, "--model",   (home_ / "sd").string(),
                                         "--resolution", "64",   "--alpha",   "4"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  // The schema's checks, with the option named.
  const auto bad_rank = run(with({"--rank", "0"}));
  EXPECT_EQ(bad_rank.status, 3) << bad_rank.output;
  EXPECT_NE(bad_rank.output.find("option rank must be at least 1"), std::string::npos) << bad_rank.output;
  const auto bad_module = run(with({"--target-modules", "to_q,to_zz"}));
  EXPECT_EQ(bad_module.status, 3) << bad_module.output;
  EXPECT_NE(bad_module.output.find("to_zz"), std::string::npos) << bad_module.output;

  const auto plan = run(with({"--plan", "--rank", "4", "--target-modules", "to_q,to_v"}));
  ASSERT_EQ(plan.status, 0) << plan.output;
  const auto json = nlohmann::json::parse(plan.output.substr(plan.output.find('{')));
  EXPECT_EQ(json.at("layers").size(), 16u);  // 4 transformers x (attn1, attn2) x (to_q, to_v)
  EXPECT_EQ(json.at("faces"), 4);
  EXPECT_EQ(json.at("captions").at(0).at("caption"), "a high quality photo of ohwx person");

  const auto trained = run(with({"--rank", "4", "--steps", "2", "--batch", "2", "--accumulation", "1", "--sample-every",
                                 "1", "--sample-steps", "2"}));
  ASSERT_EQ(trained.status, 0) << trained.output;
  EXPECT_NE(trained.output.find("trained at step 2 on 4 faces (32 layers"), std::string::npos) << trained.output;
  for (const char* file :
       {"pytorch_lora_weights.safetensors", "adapter_config.json", "lora.json", "samples/step-000000001.png"}) {
    EXPECT_TRUE(std::filesystem::exists(home_ / "style" / file)) << file;
  }
  // What was trained goes straight into generate.
  const auto generated =
      run({"generate", "--model", (home_ / "sd").string(), "--prompt", "x", "--width", "32", "--height", "32",
           "--steps", "2", "--lora", (home_ / "style/pytorch_lora_weights.safetensors").string(), "--output",
           (home_ / "styled.png").string()});
  EXPECT_EQ(generated.status, 0) << generated.output;
}

// Data-parallel training on c10d's Gloo over loopback: two ranks of one micro-batch each train the LoRA one
// process trains with an accumulation of two, each rank reading only its own faces; rank 1 writes nothing.
TEST_F(Cli, TwoProcessesTrainTheLoraOneProcessTrainsWithTwiceTheAccumulation) {
  test::group_photo_clip(4).write(home_ / "party.mkv");
  const std::string dataset = (home_ / "target").string();
  ASSERT_EQ(run({"extract", "--target", (home_ / "party.mkv").string(), "--output", dataset, "--crop", "128"}).status,
            0);
  test::write_tiny_stable_diffusion(home_ / "sd");
  auto train = [&](const std::string& output, const char* accumulation) {
    return std::vector<std::string>{WF_BINARY,
                                    "train",
                                    "lora",
                                    "--dataset",
                                    dataset,
                                    "--output",
                                    output,
                                    "--model",
                                    (home_ / "sd").string(),
                                    "--resolution",
                                    "64",
                                    "--rank",
                                    "4",
                                    "--steps",
                                    "3",
                                    "--batch",
                                    "1",
                                    "--accumulation",
                                    accumulation};
  };
  const auto one = test::run_command(train((home_ / "one").string(), "2"), environment());
  ASSERT_EQ(one.status, 0) << one.output;

  const std::string port = std::to_string(free_port());
  auto rank = [&](const char* r) {
    std::vector<std::string> env = environment();
    env.insert(env.end(), {"WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port, std::string("RANK=") + r});
    return env;
  };
  test::BackgroundCommand second(train((home_ / "rank1").string(), "1"), rank("1"), home_ / "rank1.log");
  const auto first = test::run_command(train((home_ / "two").string(), "1"), rank("0"));
  ASSERT_EQ(first.status, 0) << first.output;
  ASSERT_EQ(second.wait(), 0) << test::read_text(home_ / "rank1.log");

  const double difference = test::largest_difference(home_ / "one/pytorch_lora_weights.safetensors",
                                                     home_ / "two/pytorch_lora_weights.safetensors");
  std::cout << "2 ranks vs 1 process with twice the accumulation: largest difference " << difference << "\n";
  EXPECT_LE(difference, 1e-6);
  // ... and rank 0 alone, with its own micro-batch only, would have trained another one.
  ASSERT_EQ(test::run_command(train((home_ / "half").string(), "1"), environment()).status, 0);
  EXPECT_GT(test::largest_difference(home_ / "half/pytorch_lora_weights.safetensors",
                                     home_ / "two/pytorch_lora_weights.safetensors"),
            1e-6);  // 2e-5 after three steps
  EXPECT_NE(first.output.find("trained at step 3 on 4 faces"), std::string::npos) << first.output;
  EXPECT_FALSE(std::filesystem::exists(home_ / "rank1/pytorch_lora_weights.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(home_ / "rank1/checkpoints"));

  // A launcher's mistake is named before any rank waits for the others.
  std::vector<std::string> misnumbered = environment();
  for (const char* v : {"WORLD_SIZE=2", "RANK=7", "MASTER_ADDR=127.0.0.1"}) misnumbered.push_back(v);
  const auto wrong = test::run_command(train((home_ / "bad").string(), "1"), misnumbered);
  EXPECT_EQ(wrong.status, 3) << wrong.output;
  EXPECT_NE(wrong.output.find("RANK is '7', not a whole number from 0 to 1"), std::string::npos) << wrong.output;
}

// A swap shared out over two ranks on loopback by frame range: the video and the report are the ones one process
// writes, no part is left behind, and a rank that fails stops the other with nothing written.
TEST_F(Cli, TwoProcessesShareOutASwapAndWriteTheVideoOneProcessWrites) {
  const std::string target = (home_ / "target").string(), source = (home_ / "source").string();
  ASSERT_NO_FATAL_FAILURE(extract_swap_inputs(5, target, source));
  auto swap = [&](const std::string& from, const std::string& output) {
    return std::vector<std::string>{WF_BINARY, "swap",     "--source", from,        "--target",
                                    target,    "--output", output,     "--lossless"};
  };
  auto ranks = [&](const std::string& port, const char* r) {
    std::vector<std::string> env = environment();
    env.insert(env.end(), {"WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port, std::string("RANK=") + r});
    return env;
  };
  const std::string one = (home_ / "one.mkv").string(), two = (home_ / "two.mkv").string();
  ASSERT_EQ(test::run_command(swap(source, one), environment()).status, 0);

  const std::string port = std::to_string(free_port());
  test::BackgroundCommand second(swap(source, two), ranks(port, "1"), home_ / "rank1.log");
  const auto first = test::run_command(swap(source, two), ranks(port, "0"));
  ASSERT_EQ(first.status, 0) << first.output;
  ASSERT_EQ(second.wait(), 0) << test::read_text(home_ / "rank1.log");
  EXPECT_NE(first.output.find("5 of 5 frames swapped"), std::string::npos) << first.output;
  EXPECT_NE(test::read_text(home_ / "rank1.log").find("rank 1 of 2: frames 2 to 4, 3 swapped, handed to rank 0"),
            std::string::npos)
      << test::read_text(home_ / "rank1.log");
  cv::VideoCapture alone(one), shared(two);
  int frames = 0;
  for (cv::Mat a, b; alone.read(a);) {
    ASSERT_TRUE(shared.read(b)) << "the shared swap ends at frame " << frames;
    EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0) << "frame " << frames;
    ++frames;
  }
  EXPECT_EQ(frames, 5);
  cv::Mat extra;
  EXPECT_FALSE(shared.read(extra)) << "the shared swap has more frames";
  const auto report_of = [&](const char* name) { return nlohmann::json::parse(test::read_text(home_ / name)); };
  EXPECT_EQ(report_of("two.swap.json").at("swapped"), report_of("one.swap.json").at("swapped"));
  EXPECT_EQ(report_of("two.swap.json").at("frames"), 5);
  EXPECT_FALSE(std::filesystem::exists(home_ / ".two.part-1.mkv"));

  // Rank 1 cannot read its source: it stops, and so does rank 0, leaving no output.
  const std::string other_port = std::to_string(free_port());
  test::BackgroundCommand failing(swap((home_ / "gone").string(), (home_ / "three.mkv").string()),
                                  ranks(other_port, "1"), home_ / "failing.log");
  const auto stopped = test::run_command(swap(source, (home_ / "three.mkv").string()), ranks(other_port, "0"));
  EXPECT_NE(failing.wait(), 0) << test::read_text(home_ / "failing.log");
  EXPECT_NE(stopped.status, 0) << stopped.output;
  EXPECT_NE(stopped.output.find("rank 1 failed"), std::string::npos) << stopped.output;
  EXPECT_FALSE(std::filesystem::exists(home_ / "three.mkv"));
  EXPECT_FALSE(std::filesystem::exists(home_ / "three.swap.json"));
}

TEST_F(Cli, SwapWritesThePlayableVideoAPreviewReviewRepairsItAndAMissingEngineIsExplained) {
  const std::string target = (home_ / "target").string(), source = (home_ / "source").string();
  ASSERT_NO_FATAL_FAILURE(extract_swap_inputs(4, target, source));
  const auto swapped =
      run({"swap", "--source", source, "--target", target, "--output", (home_ / "out.mkv").string(), "--lossless"});
  ASSERT_EQ(swapped.status, 0) << swapped.output;
  EXPECT_NE(swapped.output.find("4 of 4 frames swapped"), std::string::npos) << swapped.output;
  EXPECT_TRUE(std::filesystem::exists(home_ / "out.swap.json"));
  // Step 5 on it: the scan, then the repair of a frame picked by hand into the final MP4.
  const auto scanned = run({"review", (home_ / "out.mkv").string(), "--scan-only", "--min-similarity", "0.3"});
  ASSERT_EQ(scanned.status, 0) << scanned.output;
  EXPECT_NE(scanned.output.find("4 swapped frames of 4 scanned: 0 flagged"), std::string::npos) << scanned.output;
  EXPECT_TRUE(std::filesystem::exists(home_ / "out.scan.json"));
  const auto reviewed = run({"review", (home_ / "out.mkv").string(), "--output", (home_ / "final.mp4").string(),
                             "--min-similarity", "0.3", "--frames", "1", "--attempts", "2"});
  ASSERT_EQ(reviewed.status, 0) << reviewed.output;
  EXPECT_NE(reviewed.output.find("1 flagged (requested 1)"), std::string::npos) << reviewed.output;
  EXPECT_NE(reviewed.output.find("frame 1: requested"), std::string::npos) << reviewed.output;
  EXPECT_TRUE(std::filesystem::exists(home_ / "final.mp4"));
  EXPECT_TRUE(std::filesystem::exists(home_ / "final.review.json"));
  EXPECT_EQ(run({"review", (home_ / "out.mkv").string()}).status, 2) << "no --output and no --scan-only";
  const auto bare = run({"review", (home_ / "party.mkv").string(), "--scan-only"});
  EXPECT_EQ(bare.status, 4) << bare.output;
  EXPECT_NE(bare.output.find("no swap report"), std::string::npos) << bare.output;
  const auto preview = run({"swap", "--source", source, "--target", target, "--output", (home_ / "frame.png").string(),
                            "--preview", "2", "--landmarks", "68", "--colour", "histogram"});
  ASSERT_EQ(preview.status, 0) << preview.output;
  cv::VideoCapture video((home_ / "party.mkv").string());
  cv::Mat first;
  ASSERT_TRUE(video.read(first));
  EXPECT_EQ(cv::imread((home_ / "frame.png").string()).size(), first.size());
  // The generative engine without SD 1.5, the ONNX engine without its file: status 5, where the files go.
  for (const char* engine : {"generative", "onnx"}) {
    const auto missing = run(
        {"swap", "--source", source, "--target", target, "--output", (home_ / "x.mp4").string(), "--engine", engine});
    EXPECT_EQ(missing.status, 5) << engine << ": " << missing.output;
    EXPECT_NE(missing.output.find("models/"), std::string::npos) << missing.output;
  }
  EXPECT_EQ(run({"swap", "--source", source, "--target", target, "--output", "x.mp4", "--engine", "magic"}).status, 3);
}

TEST_F(Cli, UnknownVerbIsAUsageError) {
  const auto result = run({"frobnicate"});
  EXPECT_NE(result.status, 0);
}

}  // namespace
}  // namespace wf::app
