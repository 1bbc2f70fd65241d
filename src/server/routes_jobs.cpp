// Jobs: the settings a job can take, queue one for a project, show it, pause, cancel or resume it, and follow
// its telemetry as server-sent events.

#include <httplib.h>

#include <charconv>
#include <thread>

#include "core/utf8.h"
#include "jobs/pipeline_settings.h"
#include "jobs/pipeline_submit.h"
#include "routes.h"
#include "server/api.h"
#include "server/event_stream.h"
#include "server/request_edge.h"
#include "options/lora_options.h"
#include "options/setting_sections.h"

namespace wf::server {
namespace {

jobs::JobRecord existing_job(jobs::JobStore& store, const std::string& id) {
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), number);
  const auto job = error == std::errc() && end == id.data() + id.size() ? store.job(number) : std::nullopt;
  if (!job) throw Error(ErrorCode::not_found, "there is no job " + core::printable_excerpt(id, 24), {}, "");
  return *job;
}

}  // namespace

void add_job_routes(httplib::Server& server, const ServerContext& context) {
  server.Get("/api/v1/settings", [](const httplib::Request&, httplib::Response& response) {
    send_json(response, {{"defaults", jobs::pipeline_defaults()},
                         {"presets",
                          {{"standard", jobs::resolve_pipeline_settings("standard", {})},
                           {"quick", jobs::resolve_pipeline_settings("quick", {})}}}});
  });

  // Every pipeline setting by section, for the browser's Advanced options (docs/settings.md lists the same).
  server.Get("/api/v1/schema", [](const httplib::Request&, httplib::Response& response) {
    send_json(response, options::settings_schema_json());
  });

  // The LoRA trainer's options, for the modeler page's form (the same schema `train lora --help` prints).
  server.Get("/api/v1/schemas/lora", [](const httplib::Request&, httplib::Response& response) {
    send_json(response, core::schema_json(options::lora_option_schema()));
  });

  // {"preset": "quick", "settings": {overrides}, "stop_after": "extract"}
  server.Post(
      R"(/api/v1/projects/([^/]+)/jobs)", [&context](const httplib::Request& request, httplib::Response& response) {
        const std::string name = request.matches[1];
        context.project(name);
        const nlohmann::json body = json_body(request);
        nlohmann::json overrides = body.value("settings", nlohmann::json::object());
        if (body.contains("stop_after")) overrides["stop_after"] = body.at("stop_after");
        const nlohmann::json settings = jobs::resolve_pipeline_settings(body.value("preset", "standard"), overrides);
        jobs::JobStore store = context.store();
        const jobs::SubmittedJob job = jobs::submit_pipeline(store, context.config, name, settings);
        nlohmann::json out = jobs::to_json(*store.job(job.id));
        out["phases"] = job.phase_titles;
        send_json(response, out, 201);
      });

  server.Get(R"(/api/v1/jobs/(\d+))", [&context](const httplib::Request& request, httplib::Response& response) {
    jobs::JobStore store = context.store();
    send_json(response, jobs::to_json(existing_job(store, request.matches[1])));
  });

  server.Post(R"(/api/v1/jobs/(\d+)/(pause|cancel|resume))",
              [&context](const httplib::Request& request, httplib::Response& response) {
                jobs::JobStore store = context.store();
                const jobs::JobRecord job = existing_job(store, request.matches[1]);
                const std::string action = request.matches[2];
                if (action == "pause") context.queue->pause(job.id);
                if (action == "cancel") context.queue->cancel(job.id);
                if (action == "resume") context.queue->resume(job.id);
                send_json(response, jobs::to_json(*store.job(job.id)));
              });

  server.Get(R"(/api/v1/jobs/(\d+)/events)", [&context](const httplib::Request& request, httplib::Response& response) {
    jobs::JobStore store = context.store();
    const jobs::JobRecord job = existing_job(store, request.matches[1]);
    // Where the browser left off: EventSource sends the last id it saw when it reconnects.
    std::uint64_t from = 0;
    if (request.has_header("Last-Event-ID"))
      from = parse_event_id(request.get_header_value("Last-Event-ID"), "Last-Event-ID");
    else if (request.has_param("from"))
      from = parse_event_id(request.get_param_value("from"), "from");
    stream_job_events(request, response, context, job, from);
  });
}

}  // namespace wf::server
