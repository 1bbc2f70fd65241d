#pragma once
// The local HTTP server behind `watserface ui`: the browser app and the JSON API under /api/v1.

#include <map>
#include <memory>
#include <string>

#include "core/config.h"
#include "jobs/job_queue.h"

namespace wf::server {

class HttpServer {
 public:
  // `runners`: what works each kind of job the browser queues (the app gives the pipeline's), so the server
  // itself links no trainer.
  HttpServer(core::AppConfig config, std::map<std::string, jobs::JobRunner> runners);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds config.host:config.port (port 0 picks a free one) and returns the port; throws wf::Error
  // naming the address when it is taken.
  int bind();
  // The access token a client must present when the server listens beyond this machine ("" on 127.0.0.1).
  const std::string& token() const;
  void run();   // serves until stop(); bind() first
  void stop();  // safe from another thread or a signal-handling thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wf::server
