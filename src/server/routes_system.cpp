#include <httplib.h>

#include <nlohmann/json.hpp>

#include "models/doctor.h"
#include "routes.h"
#include "wf/build_info.h"

namespace wf::server {

void add_system_routes(httplib::Server& server, const core::AppConfig& config) {
  server.Get("/api/v1/health", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(nlohmann::json{{"status", "ok"}, {"version", build::version}}.dump(), "application/json");
  });
  server.Get("/api/v1/doctor", [config](const httplib::Request&, httplib::Response& response) {
    response.set_content(models::run_doctor(config).to_json().dump(), "application/json");
  });
}

}  // namespace wf::server
