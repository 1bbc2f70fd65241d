// Projects: list, create, show (media, faces, outputs, jobs), upload the source and target media, remove a
// source file. Media change only while the project has no job queued or running.

#include <httplib.h>

#include "media/constant_rate.h"
#include "routes.h"
#include "server/api.h"
#include "server/project_summary.h"
#include "server/upload_receiver.h"

namespace wf::server {
namespace fs = std::filesystem;

void add_project_routes(httplib::Server& server, const ServerContext& context) {
  server.Get("/api/v1/projects", [&context](const httplib::Request&, httplib::Response& response) {
    jobs::JobStore store = context.store();
    nlohmann::json out = nlohmann::json::array();
    for (const auto& name : store.projects()) {
      const auto live = store.live_job(name);
      out.push_back({{"name", name}, {"live_job", live ? nlohmann::json(live->id) : nlohmann::json()}});
    }
    send_json(response, out);
  });

  server.Post("/api/v1/projects", [&context](const httplib::Request& request, httplib::Response& response) {
    const nlohmann::json body = json_body(request);
    const std::string name = body.value("name", "");
    jobs::JobStore store = context.store();
    if (store.project(name)) {
      throw Error(ErrorCode::invalid_input, "a project named '" + name + "' exists", {},
                  "open it, or choose another name");
    }
    const jobs::ProjectPaths project = jobs::make_project(context.config.workspace_dir, name);
    store.add_project(name, nlohmann::json::object());
    send_json(response, project_summary(name, project, store), 201);
  });

  server.Get(R"(/api/v1/projects/([^/]+))", [&context](const httplib::Request& request, httplib::Response& response) {
    const std::string name = request.matches[1];
    jobs::JobStore store = context.store();
    send_json(response, project_summary(name, context.project(name), store));
  });

  server.Post(R"(/api/v1/projects/([^/]+)/media/(source|target))", [&context](const httplib::Request& request,
                                                                              httplib::Response& response,
                                                                              const httplib::ContentReader& content) {
    const bool source = request.matches[2] == "source";
    std::optional<EditableProject> project;
    try {
      project.emplace(context, request);
      if (!request.is_multipart_form_data()) {
        throw Error(ErrorCode::invalid_input, "an upload is sent as multipart/form-data", {},
                    "send the files in a form field named 'files'");
      }
    } catch (const Error&) {
      // The body is read and dropped first, so the browser gets the answer instead of a reset connection.
      if (request.is_multipart_form_data()) {
        content([](const httplib::MultipartFormData&) { return true; }, [](const char*, std::size_t) { return true; });
      } else {
        content([](const char*, std::size_t) { return true; });
      }
      throw;
    }
    UploadReceiver receiver(source ? project->paths.source_media() : project->paths.target_media(),
                            source ? UploadKind::source : UploadKind::target,
                            static_cast<std::uint64_t>(context.config.max_upload_mb) << 20);
    const bool complete =
        content([&](const httplib::MultipartFormData& part) { return receiver.begin(part.name, part.filename); },
                [&](const char* data, std::size_t size) { return receiver.write(data, size); });
    // A job may have been queued while the upload streamed in: its media must not change under it.
    const std::vector<std::string> names =
        receiver.finish(complete, [&] { project->store.refuse_if_live(project->name); });
    nlohmann::json body = project_summary(project->name, project->paths, project->store);
    body["uploaded"] = names;
    send_json(response, body, 201);
  });

  // The target re-timed to a constant frame rate, every frame kept (a phone's variable-rate clip), in place of the
  // upload: what the swap needs, done when the user agrees to it on the Target page.
  server.Post(R"(/api/v1/projects/([^/]+)/media/target/constant-rate)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                EditableProject project(context, request);
                const fs::path target = jobs::target_media(project.paths);
                if (target.empty()) {
                  throw Error(ErrorCode::not_found, "the project has no target video", {}, "upload it first");
                }
                const fs::path constant = target.parent_path() / (target.stem().string() + "_constant.mkv");
                media::make_constant_rate(target, constant);
                std::error_code ec;
                fs::remove(target, ec);
                send_json(response, project_summary(project.name, project.paths, project.store));
              });

  server.Delete(R"(/api/v1/projects/([^/]+)/media/source/([^/]+))", [&context](const httplib::Request& request,
                                                                               httplib::Response& response) {
    EditableProject project(context, request);
    const std::string name = request.matches[2];
    const fs::path file = project.paths.source_media() / name;
    std::error_code ec;
    if (name != UploadReceiver::clean_name(name) || !fs::is_regular_file(file, ec) || !fs::remove(file, ec)) {
      throw Error(ErrorCode::not_found, "the project has no source file '" + name + "'", {}, "");
    }
    send_json(response, project_summary(project.name, project.paths, project.store));
  });
}

}  // namespace wf::server
