#include "jobs/project.h"

#include <algorithm>

#include "core/error.h"

namespace wf::jobs {
namespace fs = std::filesystem;
namespace {

void bring_in(const fs::path& file, const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw Error(ErrorCode::not_found, "this media file is not there", file, "check the path");
  }
  fs::create_directories(folder);
  const fs::path copy = folder / file.filename();
  if (fs::exists(copy, ec) && fs::file_size(copy, ec) == fs::file_size(file, ec)) return;
  fs::remove(copy, ec);
  fs::create_hard_link(file, copy, ec);
  if (ec) fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
}

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    // Hidden files are not the user's media (an upload still arriving, an editor's temporary file).
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

fs::path workspace_database(const fs::path& workspace) {
  return workspace / "watserface.db";
}

void check_project_name(const std::string& name) {
  const bool ok =
      !name.empty() && name.size() <= 64 && name.front() != '.' && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (!ok) {
    throw Error(ErrorCode::invalid_input, "'" + name + "' cannot name a project", {},
                "use up to 64 letters, digits, '-', '_' or '.' (not first)");
  }
}

ProjectPaths project_paths(const fs::path& workspace, const std::string& name) {
  check_project_name(name);
  return {workspace / "projects" / name};
}

ProjectPaths create_project(const fs::path& workspace, const std::string& name, const std::vector<fs::path>& source,
                            const fs::path& target) {
  const ProjectPaths project = project_paths(workspace, name);
  if (source.empty() && source_media(project).empty()) {
    throw Error(ErrorCode::invalid_input, "a project needs photos or a clip of the source face", project.root,
                "give them with --source");
  }
  if (target.empty() && target_media(project).empty()) {
    throw Error(ErrorCode::invalid_input, "a project needs the target video", project.root, "give it with --target");
  }
  for (const auto& file : source) bring_in(file, project.source_media());
  if (!target.empty()) {
    std::error_code ec;
    for (const auto& old : files_in(project.target_media())) {
      if (old.filename() != target.filename()) fs::remove(old, ec);  // one target per project
    }
    bring_in(target, project.target_media());
  }
  return make_project(workspace, name);
}

ProjectPaths make_project(const fs::path& workspace, const std::string& name) {
  const ProjectPaths project = project_paths(workspace, name);
  for (const fs::path& folder : {project.source_media(), project.target_media(), project.root / "models",
                                 project.root / "outputs", project.root / "jobs"}) {
    fs::create_directories(folder);
  }
  return project;
}

std::vector<fs::path> source_media(const ProjectPaths& project) {
  return files_in(project.source_media());
}

fs::path target_media(const ProjectPaths& project) {
  const auto files = files_in(project.target_media());
  return files.empty() ? fs::path() : files.front();
}

}  // namespace wf::jobs
