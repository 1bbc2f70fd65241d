#include "server/http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "routes.h"

namespace wf::server {

struct HttpServer::Impl {
  core::AppConfig config;
  httplib::Server server;
  int port = 0;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> run_active{false};
};

namespace {

void send_error(httplib::Response& response, int status, std::string_view code, const std::string& message,
                const std::string& hint) {
  response.status = status;
  response.set_content(nlohmann::json{{"error", {{"code", code}, {"message", message}, {"hint", hint}}}}.dump(),
                       "application/json");
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input: return 400;
    case ErrorCode::not_found:
    case ErrorCode::missing_model: return 404;
    case ErrorCode::unsupported: return 501;
    case ErrorCode::disk_full:
    case ErrorCode::out_of_memory: return 507;
    default: return 500;
  }
}

}  // namespace

HttpServer::HttpServer(core::AppConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  auto& server = impl_->server;
  // httplib's default adds SO_REUSEPORT, which would let a second `watserface ui` share the port silently.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  add_system_routes(server, impl_->config);

  const auto& web_root = impl_->config.web_root;
  if (!server.set_mount_point("/", web_root.string())) {
    log::warn("server", "the browser app is not at {}; only the API is served", web_root.string());
    server.Get("/", [web_root](const httplib::Request&, httplib::Response& response) {
      send_error(response, 404, "not_found", "the browser app is not installed at " + web_root.string(),
                 "run scripts/setup, or set web_root in the settings file");
    });
  }
  server.set_exception_handler([](const httplib::Request& request, httplib::Response& response, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const Error& e) {
      send_error(response, http_status(e.code()), to_string(e.code()), e.what(), e.hint());
    } catch (const std::exception& e) {
      log::error("server", "{} {}: {}", request.method, request.path, e.what());
      send_error(response, 500, "internal", e.what(), "this is a WatserFace bug; please report it");
    }
  });
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind() {
  const auto& config = impl_->config;
  if (config.port == 0) {
    impl_->port = impl_->server.bind_to_any_port(config.host);
  } else {
    impl_->port = impl_->server.bind_to_port(config.host, config.port) ? config.port : -1;
  }
  if (impl_->port <= 0) {
    throw Error(ErrorCode::invalid_input,
                "cannot listen on " + config.host + ":" + std::to_string(config.port) +
                    " (the port is in use, or the address is not this machine's)",
                {}, "stop the other program on that port, or pass --port with another number");
  }
  return impl_->port;
}

void HttpServer::run() {
  impl_->run_active = true;
  if (!impl_->stop_requested) {
    log::info("server", "serving http://{}:{}", impl_->config.host, impl_->port);
    impl_->server.listen_after_bind();
  }
  impl_->run_active = false;
}

void HttpServer::stop() {
  if (!impl_) return;
  impl_->stop_requested = true;
  // run() may be between its start and httplib's listen loop; wait for the loop so stop() reaches it.
  for (int i = 0; i < 1000 && impl_->run_active && !impl_->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  impl_->server.stop();
}

}  // namespace wf::server
