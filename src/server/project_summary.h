#pragma once
// What the browser app shows of a project: its media, the faces extraction found (with scores and the crops'
// addresses), its outputs and its jobs.

#include <nlohmann/json.hpp>
#include <string>

#include "jobs/job_store.h"
#include "jobs/project.h"

namespace wf::server {

// A file of the project as the API serves it: /api/v1/projects/<name>/files/<path under the project>.
std::string file_url(const std::string& project, const std::string& relative);

nlohmann::json project_summary(const std::string& name, const jobs::ProjectPaths& project, jobs::JobStore& store);

}  // namespace wf::server
