#include "jobs/project.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/utf8.h"

namespace wf::jobs {
namespace fs = std::filesystem;
namespace {

// The name a file takes in the project: one JSON and the browser app can spell (U+FFFD for a byte that is not
// UTF-8), so the summary names the file the app then asks for.
fs::path name_in_project(const fs::path& file) {
  return core::printable_excerpt(file.filename().string(), std::string::npos);
}

void bring_in(const fs::path& file, const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw Error(ErrorCode::not_found, "this media file is not there", file, "check the path");
  }
  fs::create_directories(folder);
  const fs::path copy = folder / name_in_project(file);
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

// CON, PRN, AUX, NUL, COM1-9 and LPT1-9, in any case and with any extension: Windows opens the device instead.
bool windows_device_name(std::string_view name) {
  std::string stem(name.substr(0, name.find('.')));
  std::transform(stem.begin(), stem.end(), stem.begin(), [](unsigned char c) { return std::toupper(c); });
  if (stem == "CON" || stem == "PRN" || stem == "AUX" || stem == "NUL") return true;
  return stem.size() == 4 && (stem.starts_with("COM") || stem.starts_with("LPT")) && stem[3] >= '1' && stem[3] <= '9';
}

}  // namespace

fs::path workspace_database(const fs::path& workspace) {
  return workspace / "watserface.db";
}

void check_project_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 && name.front() != '.' && name.front() != '-' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
                  });
  if (!ok) {
    throw Error(ErrorCode::invalid_input, "'" + core::printable_excerpt(name) + "' cannot name a project", {},
                "use up to 64 letters, digits, '-', '_' or '.' (not first, nor '-' first)");
  }
  if (windows_device_name(name)) {
    throw Error(ErrorCode::invalid_input, "'" + name + "' cannot name a project: Windows keeps it for a device", {},
                "choose another name, so the project folder can be copied to any machine");
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
      if (old.filename() != name_in_project(target)) fs::remove(old, ec);  // one target per project
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
