// watserface ui: serve the browser app and the API until Ctrl-C.

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli_context.h"
#include "jobs/orchestrator.h"
#include "server/http_server.h"

namespace wf::app {
namespace {

struct UiOptions {
  std::string host;
  std::optional<int> port;
};

int run_ui(const GlobalOptions& global, const UiOptions& options) {
  core::AppConfig config = resolve_config(global);
  if (!options.host.empty()) config.host = options.host;
  if (options.port) config.port = *options.port;
  config.validate();

  // Ctrl-C and SIGTERM are taken by one waiting thread that stops the server cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::HttpServer server(config, {{"pipeline", jobs::pipeline_job_runner(config)}});
  const int port = server.bind();
  if (server.token().empty()) {
    std::printf("WatserFace is running: open http://%s:%d in your browser (Ctrl-C stops it)\n", config.host.c_str(),
                port);
  } else {
    // Listening beyond this machine: only this address, with its token, gets in. It is printed once, here.
    std::printf("WatserFace is running for other machines too: open http://%s:%d/?token=%s (Ctrl-C stops it)\n",
                config.host.c_str(), port, server.token().c_str());
  }
  std::fflush(stdout);

  std::thread waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
  });
  server.run();
  ::kill(::getpid(), SIGTERM);  // wakes the waiter if the server stopped on its own
  waiter.join();
  return 0;
}

}  // namespace

void add_ui_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<UiOptions>();
  auto* command = app.add_subcommand("ui", "Serve the WatserFace studio in your browser (http://127.0.0.1:7860)");
  command->add_option("--host", options->host, "address to listen on (default 127.0.0.1: this machine only)");
  command->add_option("--port", options->port, "port to listen on (default 7860)");
  command->callback([&global, &status, options] { status = run_ui(global, *options); });
}

}  // namespace wf::app
