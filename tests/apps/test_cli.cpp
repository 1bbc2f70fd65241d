// The CLI as a user runs it: a fresh HOME, the real binary, exit statuses and printed text.

#include <gtest/gtest.h>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wf::app {
namespace {

class Cli : public ::testing::Test {
 protected:
  test::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), WF_BINARY);
    return test::run_command(args, {"HOME=" + home_.path().string(),
                                    "XDG_CONFIG_HOME=" + (home_ / ".config").string(),
                                    "XDG_DATA_HOME=" + (home_ / ".local/share").string()});
  }
  test::TempDir home_;
};

TEST_F(Cli, EveryVerbHasHelp) {
  for (const char* verb : {"ui", "extract", "train", "swap", "review", "models", "doctor", "bench", "version"}) {
    const auto result = run({verb, "--help"});
    EXPECT_EQ(result.status, 0) << verb << ": " << result.output;
    EXPECT_NE(result.output.find("Usage"), std::string::npos) << verb;
  }
  const auto top = run({"--help"});
  EXPECT_EQ(top.status, 0);
  EXPECT_NE(top.output.find("doctor"), std::string::npos);
}

TEST_F(Cli, VerbsOfLaterMilestonesSaySoWithStatusTwo) {
  for (const char* verb : {"extract", "train", "swap", "review", "bench"}) {
    const auto result = run({verb, "--source", "x.mp4"});
    EXPECT_EQ(result.status, 2) << verb;
    EXPECT_NE(result.output.find("not available yet"), std::string::npos) << result.output;
  }
}

TEST_F(Cli, VersionNamesLibtorch) {
  const auto result = run({"version"});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("watserface 0."), std::string::npos);
  EXPECT_NE(result.output.find("libtorch "), std::string::npos);
}

TEST_F(Cli, DoctorOnAFreshHomeIsReadyOfflineAndNamesMissingModels) {
  const auto result = run({"doctor"});
  EXPECT_EQ(result.status, 0) << result.output;
  const std::string models_dir = (home_ / ".local/share/watserface/models").string();
  EXPECT_NE(result.output.find("your files go under " + models_dir), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(models_dir + "/base_diffusion/stable-diffusion-v1-5/model_index.json"),
            std::string::npos);
  EXPECT_NE(result.output.find(models_dir + "/face_embedder/w600k_r50.onnx"), std::string::npos);
  EXPECT_NE(result.output.find("Ready: the offline engine works"), std::string::npos);
}

TEST_F(Cli, DoctorJsonAndModelsListAgree) {
  const auto doctor = run({"doctor", "--json"});
  EXPECT_EQ(doctor.status, 0);
  EXPECT_NE(doctor.output.find("\"role\": \"base_diffusion\""), std::string::npos);
  const auto models = run({"models"});
  EXPECT_EQ(models.status, 0);
  EXPECT_NE(models.output.find("base_diffusion  [missing]"), std::string::npos) << models.output;
  EXPECT_NE(models.output.find("face_detector  [ready]"), std::string::npos);
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

TEST_F(Cli, UnknownVerbIsAUsageError) {
  const auto result = run({"frobnicate"});
  EXPECT_NE(result.status, 0);
}

}  // namespace
}  // namespace wf::app
