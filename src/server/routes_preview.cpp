// The Swap page's preview: one target frame swapped with the settings a job would use, beside the frame as it
// was, written under outputs/preview/. Refused while a job of the project runs (it would share the cores).

#include <httplib.h>

#include "core/events.h"
#include "jobs/pipeline_options.h"
#include "jobs/pipeline_settings.h"
#include "media/image_io.h"
#include "routes.h"
#include "server/api.h"
#include "server/project_summary.h"
#include "swap/swap_driver.h"

namespace wf::server {

void add_preview_routes(httplib::Server& server, const ServerContext& context) {
  // {"frame": N, "preset": "quick", "settings": {overrides}}
  server.Post(
      R"(/api/v1/projects/([^/]+)/preview)", [&context](const httplib::Request& request, httplib::Response& response) {
        const EditableProject project(context, request);
        const nlohmann::json body = json_body(request);
        if (!body.contains("frame") || !body.at("frame").is_number_integer() || body.at("frame").get<int>() < 0) {
          throw Error(ErrorCode::invalid_input, "a preview needs the frame's number", {}, "send {\"frame\": 0}");
        }
        const auto frame = body.at("frame").get<std::int64_t>();
        const nlohmann::json settings =
            jobs::settle_pipeline(jobs::resolve_pipeline_settings(body.value("preset", "standard"),
                                                                  body.value("settings", nlohmann::json::object())),
                                  context.config);
        const swap::SwappedFrame swapped =
            swap::swap_frame(jobs::pipeline_swap_options(project.paths, settings, context.config), frame);
        const std::string stem = "outputs/preview/" + std::to_string(frame);
        media::write_image(project.paths.root / (stem + "_before.jpg"), swapped.original);
        media::write_image(project.paths.root / (stem + "_after.jpg"), swapped.swapped);
        const std::string version = "?t=" + std::to_string(static_cast<long long>(core::unix_time_now() * 1000));
        send_json(response, {{"frame", frame},
                             {"before", file_url(project.name, stem + "_before.jpg") + version},
                             {"after", file_url(project.name, stem + "_after.jpg") + version}});
      });
}

}  // namespace wf::server
