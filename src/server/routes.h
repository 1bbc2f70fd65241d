#pragma once
// Route families of the HTTP API; each adds its handlers to the server.

#include "core/config.h"

namespace httplib {
class Server;
}

namespace wf::server {

void add_system_routes(httplib::Server& server, const core::AppConfig& config);

}  // namespace wf::server
