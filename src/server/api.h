#pragma once
// What every route of the JSON API shares: the server's state, JSON in and out, errors as
// {"error": {"code", "message", "hint"}} with the HTTP status their code stands for.

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config.h"
#include "core/error.h"
#include "jobs/job_queue.h"
#include "jobs/job_store.h"
#include "jobs/project.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace wf::server {

class EventStreamSlots;

struct ServerContext {
  core::AppConfig config;
  jobs::JobQueue* queue = nullptr;  // runs the jobs the browser app queues
  std::shared_ptr<EventStreamSlots> event_streams;
  std::filesystem::path database() const { return jobs::workspace_database(config.workspace_dir); }
  jobs::JobStore store() const { return jobs::JobStore(database()); }  // one connection per request's thread
  // The project's folders; wf::Error(not_found) when it was never created.
  jobs::ProjectPaths project(const std::string& name) const;
};

// The project a request's path names (its first capture), open for changes: refused while a job of it is queued or
// running, whose files would change under it.
struct EditableProject {
  EditableProject(const ServerContext& context, const httplib::Request& request);
  std::string name;
  jobs::ProjectPaths paths;
  jobs::JobStore store;
};

int http_status(ErrorCode code);
void send_json(httplib::Response& response, const nlohmann::json& body, int status = 200);
void send_error(httplib::Response& response, int status, std::string_view code, const std::string& message,
                const std::string& hint);
void send_error(httplib::Response& response, const Error& error);
// The request's body as a JSON object ({} when empty); wf::Error(invalid_input) when it is not one.
nlohmann::json json_body(const httplib::Request& request);

}  // namespace wf::server
