// The CLI as a user runs it: a fresh HOME, the real binary, exit statuses and printed text.

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

#include "dataset/imagefolder.h"
#include "diffusion/lora.h"
#include "diffusion/stable_diffusion.h"
#include "jobs/sqlite_db.h"
#include "media/image_io.h"
#include "support/declared_png.h"
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
                           "bench", "version", "settings"}) {
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
  // The engines, from the same table the browser lists: the offline one runs, the others say what they need.
  EXPECT_NE(result.output.find("[ok]      offline"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("[missing] onnx"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("put " + models_dir + "/face_swapper/inswapper_128.onnx there"), std::string::npos)
      << result.output;
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
  // The schema's checks, with the option named: a usage error, as the command line is refused before anything runs.
  const auto bad_rank = run(with({"--rank", "0"}));
  EXPECT_EQ(bad_rank.status, 2) << bad_rank.output;
  EXPECT_NE(bad_rank.output.find("--rank"), std::string::npos) << bad_rank.output;
  EXPECT_NE(bad_rank.output.find("option rank must be at least 1"), std::string::npos) << bad_rank.output;
  const auto bad_module = run(with({"--target-modules", "to_q,to_zz"}));
  EXPECT_EQ(bad_module.status, 2) << bad_module.output;
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
const std::filesystem::path kGraceHopper = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg";

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
  // The pipeline names the same missing file before it queues anything.
  const auto queued = run({"run", "--project", "p", "--source", kGraceHopper.string(), "--target",
                           (home_ / "party.mkv").string(), "--set", "swap.engine=onnx"});
  EXPECT_EQ(queued.status, 5) << queued.output;
  EXPECT_NE(queued.output.find("face_swapper/inswapper_128.onnx"), std::string::npos) << queued.output;
}

TEST_F(Cli, UnknownVerbIsAUsageError) {
  const auto result = run({"frobnicate"});
  EXPECT_NE(result.status, 0);
}

// --- files, names and jobs (issue 29)

TEST_F(Cli, APhotoDeclaringGigapixelsIsRefusedWithTheLimitNamedAndNothingIsWritten) {
  test::write_text(home_ / "big.png", test::png_declaring(32000, 32000));
  const auto output = home_ / "out";
  const auto refused = run({"extract", "--source", (home_ / "big.png").string(), "--output", output.string()});
  EXPECT_EQ(refused.status, 3) << refused.output;
  EXPECT_NE(refused.output.find("error: 'big.png' is 32000x32000 pixels (1024 megapixels), over the limit of 100"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("fix:  scale it down, or raise max_image_megapixels"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(output)) << "a refused extraction created its output folder";

  // The limit is the setting: raised, a 120-megapixel header gets past it (and the missing pixels are said).
  test::write_text(home_ / "wide.png", test::png_declaring(12000, 10000));
  const std::vector<std::string> wide = {"extract", "--source", (home_ / "wide.png").string(), "--output",
                                         output.string()};
  const auto at_default = run(wide);
  EXPECT_EQ(at_default.status, 3);
  EXPECT_NE(at_default.output.find("(120 megapixels), over the limit of 100"), std::string::npos) << at_default.output;
  test::write_text(home_ / "raised.json", R"({"max_image_megapixels": 200})");
  std::vector<std::string> raised = {"--config", (home_ / "raised.json").string()};
  raised.insert(raised.end(), wide.begin(), wide.end());
  const auto past_limit = run(raised);
  EXPECT_EQ(past_limit.status, 3) << past_limit.output;
  EXPECT_EQ(past_limit.output.find("over the limit"), std::string::npos) << past_limit.output;
  test::write_text(home_ / "zero.json", R"({"max_image_megapixels": 0})");
  const auto zero = run({"--config", (home_ / "zero.json").string(), "doctor"});
  EXPECT_EQ(zero.status, 3);
  EXPECT_NE(zero.output.find("max_image_megapixels 0 is below 1"), std::string::npos) << zero.output;
}

TEST_F(Cli, EveryUsageErrorExitsWithTwoAndEchoesNoHugeNumber) {
  const std::string digits(300, '9');
  const std::vector<std::string> base = {"extract", "--source", kGraceHopper.string(), "--output",
                                         (home_ / "out").string()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  };
  const auto crop = with({"--crop", digits});  // CLI11's ValidationError: 105 before
  EXPECT_EQ(crop.status, 2) << crop.output;
  EXPECT_NE(crop.output.find("--crop"), std::string::npos) << crop.output;
  EXPECT_NE(crop.output.find("64 to 2048"), std::string::npos) << crop.output;
  EXPECT_EQ(crop.output.find(std::string(30, '9')), std::string::npos) << crop.output;
  const auto every = with({"--every", "0"});  // a range whose end CLI11 prints with 309 digits
  EXPECT_EQ(every.status, 2) << every.output;
  EXPECT_NE(every.output.find("--every"), std::string::npos) << every.output;
  EXPECT_LT(every.output.size(), 300u) << every.output;
  const auto count = with({"--every", digits});  // ConversionError: 104 before
  EXPECT_EQ(count.status, 2) << count.output;
  EXPECT_EQ(count.output.find(std::string(30, '9')), std::string::npos) << count.output;
  const auto not_a_number = run({"jobs", "show", "seven"});
  EXPECT_EQ(not_a_number.status, 2) << not_a_number.output;
  EXPECT_NE(not_a_number.output.find("watserface jobs show --help"), std::string::npos) << not_a_number.output;
  EXPECT_EQ(run({"frobnicate"}).status, 2);
  EXPECT_EQ(run({"extract", "--output", "x"}).status, 2) << "neither --source nor --target";
  EXPECT_EQ(run({"extract", "--help"}).status, 0);
}

// Marks job `id` as running in a process that is gone and has not given a sign of life for a minute.
void orphan(const std::filesystem::path& database, std::int64_t id) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  const double a_minute_ago =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() - 60;
  jobs::SqliteDb(database).run("UPDATE jobs SET state = 'running', pid = ?, heartbeat = ? WHERE id = ?",
                               {std::int64_t{child}, a_minute_ago, id});
}

TEST_F(Cli, TheSameRunAfterItsProcessDiedResumesItsJobAndCancellingAnOrphanIsImmediate) {
  test::group_photo_clip(3).write(home_ / "party.mkv");
  const std::vector<std::string> command = {"run",      "--project", "p",          "--source",
                                            kGraceHopper.string(),   "--target",   (home_ / "party.mkv").string(),
                                            "--set",    "stop_after=extract",      "--set", "extract.crop=128"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = command;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const auto database = home_ / ".local/share/watserface/workspace/watserface.db";
  const auto queued = run(with({"--detach"}));
  ASSERT_EQ(queued.status, 0) << queued.output;
  ASSERT_NE(queued.output.find("job 1:"), std::string::npos) << queued.output;
  orphan(database, 1);  // as a `watserface run` killed mid-job leaves it

  const auto resumed = run(command);
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("job 1 resumes"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("job 1 done"), std::string::npos) << resumed.output;
  auto jobs = [&] { return nlohmann::json::parse(run({"jobs", "list", "--json"}).output); };
  ASSERT_EQ(jobs().size(), 1u) << "a second job was queued beside the first";
  EXPECT_EQ(jobs().at(0).at("state"), "done");

  // Other settings are another job: not the orphan's to continue, so refused while it is live.
  ASSERT_EQ(run(with({"--detach"})).status, 0);
  orphan(database, 2);
  const auto other = run(with({"--set", "extract.crop=256"}));
  EXPECT_EQ(other.status, 3) << other.output;
  EXPECT_NE(other.output.find("already has job 2 queued"), std::string::npos) << other.output;
  const auto cancelled = run({"jobs", "cancel", "2"});
  EXPECT_EQ(cancelled.status, 0) << cancelled.output;
  EXPECT_NE(cancelled.output.find("job 2 cancelled"), std::string::npos) << cancelled.output;
  EXPECT_EQ(jobs().at(1).at("state"), "cancelled");

  // An orphan still marked running (no one has looked since its process died) is cancelled at once too.
  ASSERT_EQ(run(with({"--detach"})).status, 0);
  orphan(database, 3);
  const auto at_once = run({"jobs", "cancel", "3"});
  EXPECT_NE(at_once.output.find("job 3 cancelled"), std::string::npos) << at_once.output;
  EXPECT_EQ(jobs().at(2).at("state"), "cancelled");
}

TEST_F(Cli, FilesNamedInLatin1GoThroughExtractionAndThePipeline) {
  const auto photo = home_ / "caf\xe9.jpg", video = home_ / "f\xeate.mkv";
  std::filesystem::copy_file(kGraceHopper, photo);
  test::group_photo_clip(3).write(video);
  const auto extracted = run({"extract", "--source", photo.string(), "--output", (home_ / "source").string()});
  EXPECT_EQ(extracted.status, 0) << extracted.output;
  EXPECT_NE(extracted.output.find("1 faces from 1 frames"), std::string::npos) << extracted.output;

  const std::vector<std::string> command = {"run",         "--project", "p", "--source", photo.string(), "--target",
                                            video.string(), "--set",    "stop_after=extract"};
  const auto first = run(command);
  ASSERT_EQ(first.status, 0) << first.output;
  const auto project = home_ / ".local/share/watserface/workspace/projects/p";
  EXPECT_TRUE(std::filesystem::exists(project / "source/media/caf\xEF\xBF\xBD.jpg")) << "named as JSON spells it";
  const auto again = run(command);  // every phase finished with these inputs: skipped, not redone
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("finished before with these settings"), std::string::npos) << again.output;
  const auto listed = run({"jobs", "list", "--json"});
  EXPECT_EQ(listed.status, 0) << listed.output;
}

// --- masks and weights (issue 29)

TEST_F(Cli, ASpeckOfAPaintedMaskSwapsThroughTheHullAndXsegSettingsOutOfRangeAreRefusedBeforeQueueing) {
  const std::filesystem::path target = home_ / "target", source = home_ / "source";
  ASSERT_NO_FATAL_FAILURE(extract_swap_inputs(3, target.string(), source.string()));
  // Every face painted with a 6-pixel square: two pixels across after the engine's erosion, where OpenCV's Poisson
  // cloning threw (exit 70).
  auto records = dataset::read_records(target);
  for (auto& record : records) {
    cv::Mat mask = cv::Mat::zeros(media::read_image(target / record.file_name()).size(), CV_8U);
    mask(cv::Rect(mask.cols / 2, mask.rows / 2, 6, 6)).setTo(255);
    media::write_image(target / record.mask_file_name(), mask);
    record.mask_origin = dataset::MaskOrigin::painted;
  }
  dataset::rewrite_records(target, records);
  const auto swapped = run({"swap", "--source", source.string(), "--target", target.string(), "--output",
                            (home_ / "out.mkv").string(), "--lossless"});
  ASSERT_EQ(swapped.status, 0) << swapped.output;
  const auto report = nlohmann::json::parse(test::read_text(home_ / "out.swap.json")).at("swapped");
  ASSERT_EQ(report.size(), records.size());
  for (const auto& entry : report) {
    EXPECT_EQ(entry.at("mask"), "hull") << entry.dump();
    EXPECT_NE(entry.value("warning", "").find("the painted mask covers"), std::string::npos) << entry.dump();
  }

  for (const char* setting : {"xseg.epochs=-1", "xseg.epochs=1e300", "xseg.resolution=7", "xseg.resolution=100000"}) {
    const auto refused = run({"run", "--project", "p", "--source", kGraceHopper.string(), "--target",
                              (home_ / "party.mkv").string(), "--set", setting});
    EXPECT_EQ(refused.status, 3) << setting << ": " << refused.output;
    const std::string name = std::string(setting).substr(0, std::string(setting).find('='));
    EXPECT_NE(refused.output.find("option " + name), std::string::npos) << refused.output;
  }
  const auto jobs = run({"jobs", "list", "--json"});
  ASSERT_EQ(jobs.status, 0) << jobs.output;
  EXPECT_TRUE(nlohmann::json::parse(jobs.output).empty()) << "a job was queued: " << jobs.output;
}

// --- video outputs (issue 29): replaced whole or not at all, never the target, any valid name

// A full disk (a file-size limit: writes fail with EFBIG) while swap or review writes its video: status 9 naming
// the output, the previous output, its reports and thumbnails as they were, no temporary file left. ffmpeg itself
// says 0 when only the end of the file (the MP4 index, the Matroska cues) could not be written.
TEST_F(Cli, AFullDiskLeavesThePreviousSwapAndReviewAsTheyWereAndNamesTheOutput) {
  const std::string target = (home_ / "target").string(), source = (home_ / "source").string();
  ASSERT_NO_FATAL_FAILURE(extract_swap_inputs(4, target, source));
  const auto folder = home_ / "videos";
  const auto mp4 = folder / "out.mp4", mkv = folder / "out.mkv", reviewed = folder / "final.mp4",
             copied = folder / "copy.mkv";
  const std::vector<std::string> swap_mp4 = {"swap", "--source", source, "--target", target, "--output", mp4.string()};
  const std::vector<std::string> swap_mkv = {"swap", "--source", source,       "--target",
                                             target, "--output", mkv.string(), "--lossless"};
  const std::vector<std::string> review = {"review", mkv.string(), "--output", reviewed.string(), "--min-similarity",
                                           "0.3",    "--frames",   "1",        "--attempts",      "1"};
  const std::vector<std::string> review_copy = {"review",     mkv.string(),       "--output", copied.string(),
                                                "--lossless", "--min-similarity", "0.3"};
  for (const auto& args : {swap_mp4, swap_mkv, review, review_copy}) {
    const auto done = run(args);
    ASSERT_EQ(done.status, 0) << done.output;
  }
  ASSERT_TRUE(std::filesystem::is_directory(folder / "final.review")) << "the review's thumbnails";
  const auto before = files_under(folder);

  auto limited = [&](const std::filesystem::path& output, std::uintmax_t bytes, std::vector<std::string> args) {
    SCOPED_TRACE(output.filename().string() + " limited to " + std::to_string(bytes) + " bytes");
    args.insert(args.begin(), {"/usr/bin/prlimit", "--fsize=" + std::to_string(bytes), WF_BINARY});
    const auto full = test::run_command(args, environment());
    EXPECT_EQ(full.status, 9) << full.output;  // disk full
    EXPECT_NE(full.output.find("file: " + output.string() + "\n"), std::string::npos)
        << "the message names the output: " << full.output;
    EXPECT_EQ(full.output.find(".tmp"), std::string::npos) << full.output;
    EXPECT_EQ(files_under(folder), before) << "the previous outputs as they were, no temporary file left";
  };
  limited(mp4, std::filesystem::file_size(mp4) - 1, swap_mp4);
  limited(mkv, std::filesystem::file_size(mkv) - 1, swap_mkv);
  limited(mkv, std::filesystem::file_size(mkv) / 2, swap_mkv);
  limited(reviewed, std::filesystem::file_size(reviewed) - 1, review);
  limited(copied, std::filesystem::file_size(copied) / 2, review_copy);
}

// The swap's output may not be its target video however it is spelled, and a name as long as a folder takes
// (246 characters here, with the report's longer suffix) is written, swapped and reviewed.
TEST_F(Cli, TheSwapNeverOverwritesItsTargetAndTakesTheLongestValidName) {
  const std::string target = (home_ / "target").string(), source = (home_ / "source").string();
  ASSERT_NO_FATAL_FAILURE(extract_swap_inputs(3, target, source));
  const std::string original = test::read_text(home_ / "party.mkv");
  for (const auto& output : {home_ / "party.mkv", home_ / "target" / ".." / "party.mkv"}) {
    const auto refused = run({"swap", "--source", source, "--target", target, "--output", output.string()});
    EXPECT_EQ(refused.status, 3) << refused.output;
    EXPECT_NE(refused.output.find("would overwrite the original"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find(output.string()), std::string::npos) << refused.output;
  }
  EXPECT_EQ(test::read_text(home_ / "party.mkv"), original);
  EXPECT_FALSE(std::filesystem::exists(home_ / "party.swap.json"));

  const auto folder = home_ / "long";
  const auto swapped = folder / (std::string(242, 's') + ".mp4"), reviewed = folder / (std::string(242, 'r') + ".mkv");
  const auto swap = run({"swap", "--source", source, "--target", target, "--output", swapped.string()});
  ASSERT_EQ(swap.status, 0) << swap.output;
  const auto review = run({"review", swapped.string(), "--output", reviewed.string(), "--lossless", "--min-similarity",
                           "0.3", "--frames", "1", "--attempts", "1"});
  ASSERT_EQ(review.status, 0) << review.output;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  const std::string r(242, 'r'), s(242, 's');
  EXPECT_EQ(names, (std::vector<std::string>{r + ".mkv", r + ".review", r + ".review.json", r + ".swap.json",
                                             s + ".mp4", s + ".swap.json"}))
      << "the outputs and their reports and thumbnails, no temporary file left";
}

}  // namespace
}  // namespace wf::app
