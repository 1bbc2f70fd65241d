#include "server/api.h"

#include <httplib.h>

#include "server/request_edge.h"

namespace wf::server {
namespace fs = std::filesystem;

jobs::ProjectPaths ServerContext::project(const std::string& name) const {
  const jobs::ProjectPaths paths = jobs::project_paths(config.workspace_dir, name);
  std::error_code ec;
  if (!fs::is_directory(paths.root, ec)) {
    throw Error(ErrorCode::not_found, "there is no project '" + name + "'", {}, "create it on the first page");
  }
  return paths;
}

EditableProject::EditableProject(const ServerContext& context, const httplib::Request& request)
    : name(request.matches[1]), paths(context.project(name)), store(context.database()) {
  store.refuse_if_live(name);
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input: return 400;
    case ErrorCode::not_found:
    case ErrorCode::missing_model: return 404;
    case ErrorCode::unsupported: return 415;
    case ErrorCode::corrupt_file: return 422;  // a file the request needs is damaged: not a bug of the server
    case ErrorCode::disk_full:
    case ErrorCode::out_of_memory: return 507;
    default: return 500;
  }
}

void send_json(httplib::Response& response, const nlohmann::json& body, int status) {
  response.status = status;
  response.set_content(answer_text(body), "application/json");
}

void send_error(httplib::Response& response, int status, std::string_view code, const std::string& message,
                const std::string& hint) {
  send_json(response, {{"error", {{"code", code}, {"message", message}, {"hint", hint}}}}, status);
}

void send_error(httplib::Response& response, const Error& error) {
  send_error(response, http_status(error.code()), to_string(error.code()), error.what(), error.hint());
}

nlohmann::json json_body(const httplib::Request& request) {
  return parse_json_body(request.body);
}

}  // namespace wf::server
