#pragma once
// `watserface ui`'s server on a free port in this process, and what tests that talk to it over HTTP share.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobs/orchestrator.h"
#include "server/http_server.h"
#include "support/temp_dir.h"

namespace wf::server {

class RunningServer {
 public:
  explicit RunningServer(core::AppConfig config) : server_(config, {{"pipeline", jobs::pipeline_job_runner(config)}}) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(5);
    client.set_read_timeout(60);
    return client;
  }
  int port() const { return port_; }
  const std::string& token() const { return server_.token(); }

 private:
  HttpServer server_;
  int port_ = 0;
  std::thread thread_;
};

inline core::AppConfig test_config(const test::TempDir& dir) {
  core::AppConfig config = core::AppConfig::defaults();
  config.port = 0;
  config.workspace_dir = dir / "workspace";
  config.models_dir = dir / "models";
  return config;
}

inline nlohmann::json json_of(const httplib::Result& result) {
  EXPECT_TRUE(result);
  return result ? nlohmann::json::parse(result->body) : nlohmann::json();
}

// Files (name, bytes) uploaded as the browser app does.
inline httplib::Result upload(httplib::Client& client, const std::string& project, const std::string& kind,
                              const std::vector<std::pair<std::string, std::string>>& files) {
  httplib::MultipartFormDataItems items;
  for (const auto& [name, content] : files) items.push_back({"files", content, name, "application/octet-stream"});
  return client.Post(("/api/v1/projects/" + project + "/media/" + kind).c_str(), items);
}

// Project "p" with these source photos and this target video, uploaded.
inline void make_project(httplib::Client& client, const std::vector<std::filesystem::path>& sources,
                         const std::filesystem::path& target) {
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& file : sources) files.emplace_back(file.filename().string(), test::read_text(file));
  ASSERT_EQ(upload(client, "p", "source", files)->status, 201);
  ASSERT_EQ(upload(client, "p", "target", {{target.filename().string(), test::read_text(target)}})->status, 201);
}

}  // namespace wf::server
