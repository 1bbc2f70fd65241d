#include <httplib.h>

#include <nlohmann/json.hpp>

#include "jobs/engine_status.h"
#include "models/doctor.h"
#include "routes.h"
#include "server/api.h"
#include "wf/build_info.h"

namespace wf::server {

void add_system_routes(httplib::Server& server, const ServerContext& context) {
  server.Get("/api/v1/health", [&context](const httplib::Request&, httplib::Response& response) {
    send_json(response, {{"status", "ok"},
                         {"version", build::version},
                         {"max_upload_bytes", static_cast<std::uint64_t>(context.config.max_upload_mb) << 20}});
  });
  server.Get("/api/v1/engines", [&context](const httplib::Request&, httplib::Response& response) {
    send_json(response, jobs::engines_json(jobs::engine_statuses(context.config)));
  });
  server.Get("/api/v1/doctor", [&context](const httplib::Request&, httplib::Response& response) {
    send_json(response, models::run_doctor(context.config).to_json());
  });
}

}  // namespace wf::server
