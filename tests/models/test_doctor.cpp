#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "models/doctor.h"
#include "isolated_config.h"
#include "support/temp_dir.h"

namespace wf::models {
namespace {

TEST(Doctor, NamesEveryMissingUserFileWithItsFullPath) {
  test::TempDir dir;
  const DoctorReport report = run_doctor(test::isolated_config(dir));
  const std::string text = report.to_text();
  for (const auto& role : report.models) {
    EXPECT_NE(text.find(role.spec->title), std::string::npos) << role.spec->id;
    for (const auto& backend : role.backends) {
      if (backend.spec->source == Source::built_in) continue;
      if (backend.spec->source == Source::package) {
        EXPECT_NE(text.find("not installed: " + backend.spec->title), std::string::npos) << backend.spec->id;
        continue;
      }
      for (const auto& path : backend.missing) EXPECT_NE(text.find(path.string()), std::string::npos) << path;
    }
  }
  for (const char* name : {"det_10g.onnx", "w600k_r50.onnx", "inswapper_128.onnx", "model_index.json",
                           "ip-adapter.safetensors"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
}

TEST(Doctor, MissingPackagesAreProblemsMissingOptionalModelsAreNot) {
  test::TempDir dir;
  EXPECT_TRUE(run_doctor(test::isolated_config(dir)).has_problems());
  EXPECT_NE(run_doctor(test::isolated_config(dir)).to_text().find("run scripts/setup"), std::string::npos);

  const DoctorReport installed = run_doctor(core::AppConfig::defaults());  // the packages setup installed
  EXPECT_FALSE(installed.has_problems()) << installed.to_text();
  EXPECT_NE(installed.to_text().find("[missing] base diffusion"), std::string::npos);
}

TEST(Doctor, JsonCarriesMachineAndModelStatus) {
  test::TempDir dir;
  const nlohmann::json json = run_doctor(test::isolated_config(dir)).to_json();
  EXPECT_FALSE(json.at("ok").get<bool>());
  std::vector<std::string> names;
  for (const auto& check : json.at("machine")) names.push_back(check.at("name"));
  EXPECT_EQ(names, (std::vector<std::string>{"cpu", "cuda", "memory", "disk"}));
  EXPECT_EQ(json.at("models").size(), model_roles().size());
  EXPECT_EQ(json.at("models")[0].at("role"), "face_detector");
}

}  // namespace
}  // namespace wf::models
