#include "jobs/project_check.h"

#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "core/events.h"
#include "core/json_io.h"
#include "core/safetensors.h"
#include "dataset/imagefolder.h"
#include "train/checkpoint_store.h"

namespace wf::jobs {
namespace fs = std::filesystem;
namespace {

class Checker {
 public:
  // Runs `check`; a wf::Error from it is a problem with the file it names (else `path`).
  template <typename Check>
  void run(const fs::path& path, Check check) {
    try {
      check();
    } catch (const Error& e) {
      problems.push_back({e.path().empty() ? path : e.path(), e.message(), e.hint()});
    }
  }

  void dataset(const fs::path& folder) {
    if (!fs::exists(folder / "metadata.jsonl")) return;
    std::vector<dataset::FaceRecord> records;
    run(folder, [&] { records = dataset::read_records(folder); });
    for (const auto& record : records) {
      image(folder / record.file_name());
      if (record.mask_origin) image(folder / record.mask_file_name());
      if (record.arcface_crop) image(folder / record.arcface_file_name());
    }
  }

  void image(const fs::path& path) {
    if (!cv::imread(path.string(), cv::IMREAD_UNCHANGED).empty()) return;
    problems.push_back({path, fs::exists(path) ? "this image does not decode" : "this image is missing",
                        "extract the faces again (the phase reruns when its dataset is deleted)"});
  }

  void models(const fs::path& folder) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return;
    for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      const fs::path& path = it->path();
      if (it->is_directory() && path.filename() == "checkpoints") {
        run(path, [&] { train::CheckpointStore(path).verify_latest(); });
        it.disable_recursion_pending();
      } else if (it->is_regular_file() && path.filename().string().front() != '.') {
        if (path.extension() == ".safetensors") run(path, [&] { core::SafetensorsFile{path}; });
        if (path.extension() == ".json") run(path, [&] { core::read_json_file(path); });
      }
    }
  }

  void jobs(const fs::path& folder) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      const fs::path events = entry.path() / "events.jsonl";
      if (fs::exists(events)) run(events, [&] { core::read_events(events); });
    }
  }

  std::vector<ProjectProblem> problems;
};

}  // namespace

std::vector<ProjectProblem> check_project(const ProjectPaths& project) {
  Checker checker;
  if (!fs::is_directory(project.root)) {
    checker.problems.push_back({project.root, "no such project", "create it with watserface run or the browser app"});
    return checker.problems;
  }
  checker.dataset(project.source_dataset());
  checker.dataset(project.target_dataset());
  checker.models(project.root / "models");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(project.phase_stamps(), ec)) {
    if (entry.path().extension() == ".json") checker.run(entry.path(), [&] { core::read_json_file(entry.path()); });
  }
  checker.jobs(project.root / "jobs");
  return checker.problems;
}

}  // namespace wf::jobs
