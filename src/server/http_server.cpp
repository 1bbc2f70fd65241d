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
#include "server/request_guard.h"

namespace wf::server {

namespace fs = std::filesystem;

constexpr std::size_t kThreads = 32;
// The app's own files only: no inline script, no frames, no other hosts; inline styles for uPlot and the bar.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

struct HttpServer::Impl {
  explicit Impl(const core::AppConfig& config) : guard(config.host) {}
  RequestGuard guard;
  ServerContext context;
  httplib::Server server;
  std::unique_ptr<jobs::JobQueue> queue;
  int port = 0;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> run_active{false};
};

HttpServer::HttpServer(core::AppConfig config) : impl_(std::make_unique<Impl>(config)) {
  ServerContext& context = impl_->context;
  context.config = std::move(config);
  fs::create_directories(context.config.workspace_dir);
  const core::AppConfig& settings = context.config;
  impl_->queue = std::make_unique<jobs::JobQueue>(
      context.database(), std::map<std::string, jobs::JobRunner>{
                              {"pipeline", [settings](const jobs::JobRecord& job, const std::atomic<bool>& cancel) {
                                 jobs::JobStore store(jobs::workspace_database(settings.workspace_dir));
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
  server.set_default_headers({{"Content-Security-Policy", kContentSecurityPolicy},
                              {"X-Content-Type-Options", "nosniff"},
                              {"X-Frame-Options", "DENY"},
                              {"Referrer-Policy", "no-referrer"}});
  server.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    const RequestGuard::Verdict verdict = impl_->guard.check(request, impl_->port);
    if (verdict.status != 0) {
      log::warn("server", "refused {} {} from {}: {}", request.method, request.path, request.remote_addr,
                verdict.message);
      send_error(response, verdict.status, "invalid_input", verdict.message,
                 verdict.status == 401 ? "open the address `watserface ui` printed, with its ?token="
                                       : "open WatserFace from the address `watserface ui` printed");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!verdict.from_query) return httplib::Server::HandlerResponse::Unhandled;
    // The token came in the address: kept as a cookie (an event stream cannot send a header), and a page opened
    // with it is shown again without it.
    response.set_header("Set-Cookie", impl_->guard.cookie());
    if (request.method != "GET" || request.path.starts_with("/api/"))
      return httplib::Server::HandlerResponse::Unhandled;
    response.set_redirect(request.path);
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

const std::string& HttpServer::token() const {
  return impl_->guard.token();
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
