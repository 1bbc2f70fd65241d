#include "server/http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "jobs/orchestrator.h"
#include "routes.h"
#include "server/api.h"

namespace wf::server {

namespace fs = std::filesystem;

constexpr std::size_t kThreads = 32;

struct HttpServer::Impl {
  ServerContext context;
  httplib::Server server;
  std::unique_ptr<jobs::JobQueue> queue;
  int port = 0;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> run_active{false};
};

namespace {

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

// Why a request did not come from a page of this server ("" when it did): bound to this machine only, the Host
// must be this machine; an Origin, when the browser sends one, must be the Host.
std::string foreign_request(const httplib::Request& request, const std::string& bound, int port) {
  const std::string host = request.get_header_value("Host"), suffix = ":" + std::to_string(port);
  if (loopback(bound) && !(host.ends_with(suffix) && loopback(host.substr(0, host.size() - suffix.size())))) {
    return "the request names the host '" + host + "', not this server";
  }
  const std::string origin = request.get_header_value("Origin");
  if (!origin.empty() && origin != "http://" + host) return "a page of " + origin + " may not use WatserFace";
  return {};
}

}  // namespace

HttpServer::HttpServer(core::AppConfig config) : impl_(std::make_unique<Impl>()) {
  ServerContext& context = impl_->context;
  context.config = std::move(config);
  fs::create_directories(context.config.workspace_dir);
  const core::AppConfig& settings = context.config;
  impl_->queue = std::make_unique<jobs::JobQueue>(
      context.database(), std::map<std::string, jobs::JobRunner>{
                              {"pipeline", [settings](const jobs::JobRecord& job, const std::atomic<bool>& cancel) {
                                 jobs::JobStore store(settings.workspace_dir / "watserface.db");
                                 return jobs::run_pipeline(store, job, settings.workspace_dir, settings, cancel);
                               }}});
  context.queue = impl_->queue.get();
  auto& server = impl_->server;
  // Every open event stream holds a thread: enough for a few tabs following jobs and a page's images at once.
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  // httplib's default adds SO_REUSEPORT, which would let a second `watserface ui` share the port silently.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Only pages this server served may call it: a Host that is not this address (DNS rebinding) or an Origin of
  // another site (a page the user visits posting here) is refused.
  server.set_pre_routing_handler([&context, this](const httplib::Request& request, httplib::Response& response) {
    const std::string problem = foreign_request(request, context.config.host, impl_->port);
    if (problem.empty()) return httplib::Server::HandlerResponse::Unhandled;
    send_error(response, 403, "invalid_input", problem,
               "open WatserFace at http://127.0.0.1:" + std::to_string(impl_->port) + " in this machine's browser");
    return httplib::Server::HandlerResponse::Handled;
  });
  add_system_routes(server, context);
  add_project_routes(server, context);
  add_job_routes(server, context);
  add_face_routes(server, context);
  add_preview_routes(server, context);
  add_file_routes(server, context);

  const auto& web_root = context.config.web_root;
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
      send_error(response, e);
    } catch (const nlohmann::json::exception& e) {  // a body or setting of the wrong type
      send_error(response, 400, "invalid_input", e.what(), "check the request's JSON against docs/http-api.md");
    } catch (const std::invalid_argument& e) {  // a number in the path or a header that is none
      send_error(response, 400, "invalid_input", e.what(), "");
    } catch (const std::out_of_range& e) {
      send_error(response, 400, "invalid_input", e.what(), "");
    } catch (const std::exception& e) {
      log::error("server", "{} {}: {}", request.method, request.path, e.what());
      send_error(response, 500, "internal", e.what(), "this is a WatserFace bug; please report it");
    }
  });
}

HttpServer::~HttpServer() {
  stop();
}

int HttpServer::bind() {
  const auto& config = impl_->context.config;
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
    impl_->queue->start();  // first resumes jobs a killed process left running
    log::info("server", "serving http://{}:{}", impl_->context.config.host, impl_->port);
    impl_->server.listen_after_bind();
    impl_->queue->stop();  // a running job pauses at a checkpoint
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
