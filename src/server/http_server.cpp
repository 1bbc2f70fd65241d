#include "server/http_server.h"

#include <httplib.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "core/utf8.h"
#include "routes.h"
#include "server/api.h"
#include "server/bounded_server.h"
#include "server/event_stream.h"
#include "server/request_edge.h"
#include "server/request_guard.h"

namespace wf::server {

namespace fs = std::filesystem;

// The app's own files only: no inline script, no frames, no other hosts; inline styles for uPlot and the bar.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

namespace {

constexpr std::size_t kMaxDiscardedBodyBytes = std::size_t{64} << 20;

// A body the request's route cannot take, answered from the head: too large for the route, of unknown length, or
// chunked where the route reads it whole. Only a body of at most kMaxDiscardedBodyBytes is read (and dropped);
// otherwise the connection closes after the answer.
bool refuse_body(const httplib::Request& request, httplib::Response& response) {
  const std::optional<std::size_t> limit = body_limit(request.method, request.path);
  if (!limit) {
    BoundedServer::allow_streamed_body();
    return false;
  }
  const bool chunked = request.get_header_value("Transfer-Encoding") == "chunked";
  const bool carries = request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if (!chunked && !request.has_header("Content-Length") && !carries) return false;
  std::size_t length = 0;
  const std::string declared = request.get_header_value("Content-Length");
  const auto [end, error] = std::from_chars(declared.data(), declared.data() + declared.size(), length);
  const bool stated = !chunked && !declared.empty() && error == std::errc() && end == declared.data() + declared.size();
  if (stated && length <= *limit) return false;
  if (!stated) {
    send_error(response, 411, "invalid_input", "the request body has no readable Content-Length (or comes in chunks)",
               "send the body with its length (an empty body as Content-Length: 0)");
  } else {
    send_error(response, 413, "invalid_input",
               "the request body is " + std::to_string(length) + " bytes, over this address's limit of " +
                   std::to_string(*limit),
               "send only the settings that change");
    // A body a little too large is read and dropped, so a browser gets the answer; a huge one is not waited for.
    if (length <= kMaxDiscardedBodyBytes && BoundedServer::discard_body(length)) return true;
  }
  BoundedServer::close_after_response(response);
  return true;
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(const core::AppConfig& config) : guard(config.host) {}
  RequestGuard guard;
  ServerContext context;
  BoundedServer server;
  std::unique_ptr<jobs::JobQueue> queue;
  int port = 0;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> run_active{false};
};

HttpServer::HttpServer(core::AppConfig config, std::map<std::string, jobs::JobRunner> runners)
    : impl_(std::make_unique<Impl>(config)) {
  ServerContext& context = impl_->context;
  context.config = std::move(config);
  context.event_streams = std::make_shared<EventStreamSlots>();
  fs::create_directories(context.config.workspace_dir);
  impl_->queue = std::make_unique<jobs::JobQueue>(context.database(), std::move(runners));
  context.queue = impl_->queue.get();
  auto& server = impl_->server;
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
    if (const std::string unreadable = unreadable_address(request.path, request.params); !unreadable.empty()) {
      send_error(response, 400, "invalid_input", unreadable, "names in WatserFace are UTF-8 text");
      return httplib::Server::HandlerResponse::Handled;
    }
    const RequestGuard::Verdict verdict = impl_->guard.check(request, impl_->port);
    if (verdict.status != 0) {
      log::warn("server", "refused {} {} from {}: {}", request.method, request.path, request.remote_addr,
                verdict.message);
      send_error(response, verdict.status, "invalid_input", verdict.message,
                 verdict.status == 401 ? "open the address `watserface ui` printed, with its ?token="
                                       : "open WatserFace from the address `watserface ui` printed");
      BoundedServer::close_after_response(response);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (refuse_body(request, response)) return httplib::Server::HandlerResponse::Handled;
    if (!verdict.from_query) return httplib::Server::HandlerResponse::Unhandled;
    // The token came in the address: kept as a cookie (an event stream cannot send a header), and a page opened
    // with it is shown again without it.
    response.set_header("Set-Cookie", impl_->guard.cookie());
    if (request.method != "GET" || request.path.starts_with("/api/"))
      return httplib::Server::HandlerResponse::Unhandled;
    response.set_redirect(request.path);
    return httplib::Server::HandlerResponse::Handled;
  });
  // httplib's own refusals (no route, an unreadable request) get a message like every other error.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        send_error(response, response.status, response.status == 404 ? "not_found" : "invalid_input",
                   response.status == 404 ? "there is nothing at this address" : "the request could not be read",
                   "see docs/http-api.md for the API's addresses and bodies");
        return httplib::Server::HandlerResponse::Handled;
      }));
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
    } catch (...) {
      log::error("server", "{} {}: an exception of unknown type", request.method, request.path);
      send_error(response, 500, "internal", "an exception of unknown type",
                 "this is a WatserFace bug; please report it");
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
