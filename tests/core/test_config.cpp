#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/error.h"
#include "support/temp_dir.h"

namespace wf::core {
namespace {

TEST(AppConfig, DefaultsServeThisMachineOnlyOnPort7860) {
  const AppConfig config = AppConfig::defaults();
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port, 7860);
  EXPECT_EQ(config.device, DeviceKind::automatic);
  EXPECT_EQ(config.models_dir.filename(), "models");
  EXPECT_NO_THROW(config.validate());
}

TEST(AppConfig, FileOverridesOnlyTheKeysItHas) {
  test::TempDir dir;
  test::write_text(dir / "config.json", R"({"port": 8080, "device": "cpu", "models_dir": "/data/models",
                                             "precision": "bf16", "some_future_key": true})");
  const AppConfig config = AppConfig::load(dir / "config.json");
  EXPECT_EQ(config.port, 8080);
  EXPECT_EQ(config.device, DeviceKind::cpu);
  EXPECT_EQ(config.precision, Precision::bf16);
  EXPECT_EQ(config.models_dir, "/data/models");
  EXPECT_EQ(config.host, "127.0.0.1");
}

TEST(AppConfig, RoundTripsThroughJson) {
  AppConfig config = AppConfig::defaults();
  config.port = 9000;
  config.threads = 3;
  config.precision = Precision::fp16;
  AppConfig copy = AppConfig::defaults();
  copy.apply(config.to_json(), "memory");
  EXPECT_EQ(copy.to_json(), config.to_json());
}

struct BadSetting {
  const char* json;
  const char* fragment;
};

void PrintTo(const BadSetting& setting, std::ostream* out) { *out << setting.json; }

class BadSettings : public ::testing::TestWithParam<BadSetting> {};

TEST_P(BadSettings, NameTheFileAndTheKey) {
  test::TempDir dir;
  const auto path = dir / "config.json";
  test::write_text(path, GetParam().json);
  try {
    AppConfig::load(path);
    FAIL() << GetParam().json;
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(e.message().find(GetParam().fragment), std::string::npos) << e.message();
    EXPECT_FALSE(e.hint().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Config, BadSettings,
                         ::testing::Values(BadSetting{R"({"port": "eighty"})", "'port' must be an integer"},
                                           BadSetting{R"({"port": 70000})", "port 70000 is out of range"},
                                           BadSetting{R"({"device": "tpu"})", "unknown device 'tpu'"},
                                           BadSetting{R"({"threads": -1})", "threads -1"},
                                           BadSetting{R"({"log_level": "loud"})", "unknown log level"},
                                           BadSetting{R"([1, 2])", "must be a JSON object"},
                                           BadSetting{R"({"port": 80,})", "not valid JSON"}));

TEST(AppConfig, MissingFileSaysNotFound) {
  test::TempDir dir;
  try {
    AppConfig::load(dir / "absent.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
}

}  // namespace
}  // namespace wf::core
