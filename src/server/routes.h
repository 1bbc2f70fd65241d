#pragma once
// Route families of the HTTP API; each adds its handlers to the server. `context` outlives the server.

namespace httplib {
class Server;
}

namespace wf::server {

struct ServerContext;

void add_system_routes(httplib::Server& server, const ServerContext& context);
void add_project_routes(httplib::Server& server, const ServerContext& context);
void add_job_routes(httplib::Server& server, const ServerContext& context);
void add_face_routes(httplib::Server& server, const ServerContext& context);
void add_preview_routes(httplib::Server& server, const ServerContext& context);
void add_file_routes(httplib::Server& server, const ServerContext& context);

}  // namespace wf::server
