#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "running_server.h"
#include "server/http_server.h"
#include "support/temp_dir.h"

namespace wf::server {
namespace {

TEST(HttpServer, ServesTheAppPageAndHealth) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  auto client = server.client();
  const auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>WatserFace</title>"), std::string::npos);
  const auto health = client.Get("/api/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(nlohmann::json::parse(health->body).at("status"), "ok");
}

TEST(HttpServer, DoctorEndpointReportsModelRoles) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  const auto response = server.client().Get("/api/v1/doctor");
  ASSERT_TRUE(response);
  const auto json = nlohmann::json::parse(response->body);
  EXPECT_EQ(json.at("models_dir"), (dir / "models").string());
  EXPECT_EQ(json.at("models").size(), 8u);
}

TEST(HttpServer, EnginesEndpointListsEveryEngineWithWhatItMisses) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  const auto engines = json_of(server.client().Get("/api/v1/engines"));
  ASSERT_EQ(engines.size(), 3u);
  EXPECT_EQ(engines.at(0).at("name"), "offline");
  EXPECT_EQ(engines.at(0).at("available"), true);
  EXPECT_EQ(engines.at(2).at("name"), "onnx");
  EXPECT_EQ(engines.at(2).at("available"), false);
  EXPECT_NE(engines.at(2).at("fix").get<std::string>().find((dir / "models/face_swapper/inswapper_128.onnx").string()),
            std::string::npos)
      << engines.dump();
}

TEST(HttpServer, MissingWebAppAnswersWithTheFix) {
  test::TempDir dir;
  core::AppConfig config = test_config(dir);
  config.web_root = dir / "no-web";
  RunningServer server(config);
  const auto response = server.client().Get("/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  const auto json = nlohmann::json::parse(response->body);
  EXPECT_NE(json.at("error").at("hint").get<std::string>().find("scripts/setup"), std::string::npos);
}

TEST(HttpServer, PortInUseIsAClearError) {
  test::TempDir dir;
  RunningServer first(test_config(dir));
  core::AppConfig config = test_config(dir);
  config.port = first.port();
  HttpServer second(config, {});
  try {
    second.bind();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(std::to_string(first.port())), std::string::npos);
    EXPECT_NE(e.hint().find("--port"), std::string::npos);
  }
}

}  // namespace
}  // namespace wf::server
