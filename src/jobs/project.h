#pragma once
// A project on disk (DESIGN.md §4): projects/<name>/ in the workspace, holding the user's media, the datasets,
// the models, the outputs and one folder per job (its events.jsonl). Every phase of the pipeline reads and writes
// only here, so a project can be moved, inspected or resumed on its own.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wf::jobs {

struct ProjectPaths {
  std::filesystem::path root;
  std::filesystem::path source_media() const { return root / "source" / "media"; }
  std::filesystem::path source_dataset() const { return root / "source" / "dataset"; }
  std::filesystem::path target_media() const { return root / "target" / "media"; }
  std::filesystem::path target_dataset() const { return root / "target" / "dataset"; }
  std::filesystem::path identity_model() const { return root / "models" / "identity"; }
  std::filesystem::path xseg_model() const { return root / "models" / "xseg"; }
  std::filesystem::path lora_model() const { return root / "models" / "lora"; }
  std::filesystem::path swapped() const { return root / "outputs" / "swapped.mkv"; }  // lossless, for review
  std::filesystem::path final_video() const { return root / "outputs" / "final.mp4"; }
  std::filesystem::path phase_stamps() const { return root / ".phases"; }
  std::filesystem::path job_folder(std::int64_t job) const { return root / "jobs" / std::to_string(job); }
  std::filesystem::path events(std::int64_t job) const { return job_folder(job) / "events.jsonl"; }
};

// The workspace's job database (SQLite), beside its projects/ folder.
std::filesystem::path workspace_database(const std::filesystem::path& workspace);

// Letters, digits, '-', '_' and '.', 1 to 64 of them, not starting with '.'; else wf::Error(invalid_input).
void check_project_name(const std::string& name);

ProjectPaths project_paths(const std::filesystem::path& workspace, const std::string& name);

// Creates the project's folders, without media (the browser app uploads them one by one).
ProjectPaths make_project(const std::filesystem::path& workspace, const std::string& name);

// Creates the project's folders and brings the media in (hard-linked when the file system allows, else copied;
// a file already there with the same size is kept; a name that is not UTF-8 is kept with U+FFFD for those bytes).
// Throws wf::Error(not_found) naming a missing input.
ProjectPaths create_project(const std::filesystem::path& workspace, const std::string& name,
                            const std::vector<std::filesystem::path>& source_media,
                            const std::filesystem::path& target_video);

// The media a project holds: source photos and clips, and its one target video or photo.
std::vector<std::filesystem::path> source_media(const ProjectPaths& project);
std::filesystem::path target_media(const ProjectPaths& project);

}  // namespace wf::jobs
