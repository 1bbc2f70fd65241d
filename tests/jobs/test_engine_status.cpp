// The engine table as a machine offers it: which engines run here, what each one misses and where it goes, and
// that a job naming an engine is refused before it starts when the engine cannot run, and otherwise reaches the
// engine with its model files (the onnx engine's swapper from the models folder).

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "jobs/engine_status.h"
#include "jobs/pipeline_options.h"
#include "jobs/pipeline_settings.h"
#include "jobs/project.h"
#include "support/error_code.h"
#include "support/temp_dir.h"

namespace wf::jobs {
namespace {

core::AppConfig config_in(const test::TempDir& dir) {
  core::AppConfig config = core::AppConfig::defaults();
  config.workspace_dir = dir / "workspace";
  config.models_dir = dir / "models";
  return config;
}

const EngineStatus& status_of(const std::vector<EngineStatus>& engines, swap::EngineKind kind) {
  for (const EngineStatus& e : engines) {
    if (e.spec->kind == kind) return e;
  }
  throw std::logic_error("no such engine");
}

TEST(EngineTable, NamesAreUniqueAndParseBackAndAnUnknownOneListsTheRest) {
  std::set<std::string_view> names;
  for (const swap::EngineSpec& engine : swap::swap_engines()) {
    EXPECT_TRUE(names.insert(engine.name).second) << engine.name;
    EXPECT_EQ(swap::parse_engine(engine.name), engine.kind);
    EXPECT_EQ(swap::to_string(engine.kind), engine.name);
    EXPECT_FALSE(engine.label.empty());
  }
  std::string message, hint;
  try {
    swap::parse_engine("magic");
  } catch (const Error& e) {
    message = e.message();
    hint = e.hint();
  }
  EXPECT_NE(message.find("'magic'"), std::string::npos) << message;
  EXPECT_EQ(hint, "use offline, generative, onnx");
}

TEST(EngineStatus, AFreshMachineRunsTheOfflineEngineAndSaysWhereTheOthersFilesGo) {
  test::TempDir dir;
  const core::AppConfig config = config_in(dir);
  const auto engines = engine_statuses(config);
  ASSERT_EQ(engines.size(), swap::swap_engines().size());
  EXPECT_TRUE(status_of(engines, swap::EngineKind::offline).available);
  const EngineStatus& generative = status_of(engines, swap::EngineKind::generative);
  EXPECT_FALSE(generative.available);
  EXPECT_NE(generative.fix.find((config.models_dir / "base_diffusion/stable-diffusion-v1-5").string()),
            std::string::npos)
      << generative.fix;
  const EngineStatus& onnx = status_of(engines, swap::EngineKind::onnx);
  EXPECT_FALSE(onnx.available);
  EXPECT_NE(onnx.fix.find((config.models_dir / "face_swapper/inswapper_128.onnx").string()), std::string::npos)
      << onnx.fix;

  const nlohmann::json listed = engines_json(engines);
  ASSERT_EQ(listed.size(), engines.size());
  EXPECT_EQ(listed.at(2).at("name"), "onnx");
  EXPECT_EQ(listed.at(2).at("available"), false);
  EXPECT_EQ(listed.at(1).at("needs_identity_adapter"), true);
  EXPECT_EQ(listed.at(0).at("options"), (nlohmann::json{"landmarks", "colour", "seamless", "keep_expression"}));
  EXPECT_NE(std::find(listed.at(1).at("options").begin(), listed.at(1).at("options").end(), "guidance"),
            listed.at(1).at("options").end());
}

TEST(EngineStatus, AJobForTheOnnxEngineIsRefusedWithoutItsFileAndGivenItOnceItIsThere) {
  test::TempDir dir;
  const core::AppConfig config = config_in(dir);
  const nlohmann::json settings = resolve_pipeline_settings("quick", {{"swap", {{"engine", "onnx"}}}});
  std::string message;
  EXPECT_EQ(test::error_code([&] { settle_pipeline(settings, config); }, &message), ErrorCode::missing_model);
  EXPECT_NE(message.find("onnx swap engine needs classic swapper"), std::string::npos) << message;

  const auto model = config.models_dir / "face_swapper/inswapper_128_fp16.onnx";
  std::filesystem::create_directories(model.parent_path());
  test::write_text(model, "a model");
  EXPECT_TRUE(status_of(engine_statuses(config), swap::EngineKind::onnx).available);
  const nlohmann::json settled = settle_pipeline(settings, config);
  EXPECT_EQ(settled.at("identity").at("enabled"), false) << "identity \"auto\" trains only for an adapter engine";
  const swap::SwapOptions options = pipeline_swap_options(project_paths(config.workspace_dir, "p"), settled, config);
  EXPECT_EQ(options.engine, swap::EngineKind::onnx);
  EXPECT_EQ(options.onnx_model, model);
}

TEST(EngineStatus, TheGenerativeEngineWithANamedBaseModelIsNotAskedForTheInstalledOne) {
  test::TempDir dir;
  const core::AppConfig config = config_in(dir);
  const auto named = dir / "elsewhere/sd15";
  std::filesystem::create_directories(named);
  const nlohmann::json settings =
      resolve_pipeline_settings("quick", {{"swap", {{"engine", "generative"}}}, {"base_model", named.string()}});
  const nlohmann::json settled = settle_pipeline(settings, config);
  EXPECT_EQ(settled.at("identity").at("enabled"), true);
  EXPECT_EQ(settled.at("base_model"), std::filesystem::absolute(named).string());
  EXPECT_EQ(test::error_code([&] {
              settle_pipeline(resolve_pipeline_settings("quick", {{"swap", {{"engine", "generative"}}}}), config);
            }),
            ErrorCode::missing_model);
}

}  // namespace
}  // namespace wf::jobs
