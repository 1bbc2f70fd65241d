#pragma once
// Is a project whole? Every file a later phase would read is opened the way that phase opens it: the datasets'
// metadata.jsonl and each image and mask it names, every model's safetensors, each trainer's latest checkpoint
// (sizes and CRC-32s), the phase stamps and each job's telemetry. `watserface doctor --project` prints the
// result; the crash tests (SIGKILL, a full disk) assert that a project they interrupted is still whole.

#include <filesystem>
#include <string>
#include <vector>

#include "jobs/project.h"

namespace wf::jobs {

struct ProjectProblem {
  std::filesystem::path path;
  std::string what;
  std::string fix;
};

std::vector<ProjectProblem> check_project(const ProjectPaths& project);

}  // namespace wf::jobs
