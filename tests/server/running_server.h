#pragma once
// `watserface ui`'s server on a free port in this process, for tests that talk to it over HTTP.

#include <httplib.h>

#include <thread>

#include "server/http_server.h"
#include "support/temp_dir.h"

namespace wf::server {

class RunningServer {
 public:
  explicit RunningServer(core::AppConfig config) : server_(std::move(config)) {
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

}  // namespace wf::server
