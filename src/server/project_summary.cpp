#include "server/project_summary.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "core/error.h"
#include "core/json_io.h"
#include "dataset/imagefolder.h"
#include "media/image_io.h"
#include "media/media_probe.h"

namespace wf::server {
namespace fs = std::filesystem;
namespace {

nlohmann::json media_list(const std::vector<fs::path>& files) {
  nlohmann::json out = nlohmann::json::array();
  std::error_code ec;
  for (const auto& file : files)
    out.push_back({{"name", file.filename().string()}, {"bytes", fs::file_size(file, ec)}});
  return out;
}

std::size_t lines_in(const fs::path& file) {
  std::ifstream in(file);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) lines += !line.empty();
  return lines;
}

// The faces of a dataset folder (null before extraction wrote any), each with its crop's address; past `most`
// faces, `most` of them evenly spread (a long target video has one per frame).
nlohmann::json faces_of(const std::string& name, const jobs::ProjectPaths& project, const fs::path& folder,
                        std::size_t most) {
  std::error_code ec;
  if (!fs::exists(folder / "metadata.jsonl", ec)) return nullptr;
  std::set<std::string> outliers;
  if (fs::exists(folder / "identity.json", ec)) {
    for (const auto& id : core::read_json_file(folder / "identity.json").value("outliers", nlohmann::json::array())) {
      outliers.insert(id.get<std::string>());
    }
  }
  const std::string under = fs::relative(folder, project.root).string() + "/";
  const auto records = dataset::read_records(folder);
  const std::size_t shown = std::min(most, records.size());
  nlohmann::json faces = nlohmann::json::array();
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& record = records[i * records.size() / shown];
    faces.push_back({{"id", record.id},
                     {"source", fs::path(record.source).filename().string()},
                     {"frame", record.frame_index},
                     {"score", record.score},
                     {"outlier", outliers.count(record.id) > 0},
                     {"image", file_url(name, under + record.file_name())},
                     {"mask", record.mask_origin ? nlohmann::json(file_url(name, under + record.mask_file_name()))
                                                 : nlohmann::json()},
                     {"mask_origin", record.mask_origin ? nlohmann::json(dataset::to_string(*record.mask_origin))
                                                        : nlohmann::json()}});
  }
  return {{"faces", faces},
          {"count", records.size()},
          {"finished", fs::exists(folder / "dataset.json", ec)},
          {"skipped", lines_in(folder / "skipped.jsonl")}};
}

// The people extraction found in the target video (docs/formats/people.md), each with its thumbnail's address,
// and whom the dataset holds; null before there are any.
nlohmann::json people_of(const std::string& name, const jobs::ProjectPaths& project) {
  const fs::path file = project.target_dataset() / "people.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return nullptr;
  nlohmann::json people = core::read_json_file(file);
  const std::string under = fs::relative(project.target_dataset(), project.root).string() + "/";
  try {
    for (auto& person : people.at("people")) {
      person["thumbnail"] = file_url(name, under + person.at("thumbnail").get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed people file: ") + e.what(), file,
                "find the faces again (the Target page's Find faces)");
  }
  return people;
}

// Whether the target video's frames are evenly spaced, told when it is uploaded rather than when the swap refuses
// it: {"variable", "message"}, null for a photo or a file ffprobe cannot read. Probing reads every packet, so the
// answer is kept for the file as it is (its path, size and time).
nlohmann::json timing_of(const fs::path& video) {
  if (video.empty() || media::is_image_file(video)) return nullptr;
  static std::mutex mutex;
  static std::map<std::string, nlohmann::json> known;
  std::error_code ec;
  const std::string key = fmt::format("{}|{}|{}", video.string(), fs::file_size(video, ec),
                                      fs::last_write_time(video, ec).time_since_epoch().count());
  {
    std::lock_guard lock(mutex);
    if (const auto it = known.find(key); it != known.end()) return it->second;
  }
  nlohmann::json timing = nullptr;
  try {
    const media::MediaInfo info = media::probe_media(video);
    const bool variable = info.variable_frame_rate();
    timing = {{"variable", variable},
              {"message", variable ? fmt::format("Its frames are not evenly spaced ({} of {} intervals differ): the "
                                                 "swap needs a constant frame rate.",
                                                 info.irregular_intervals, info.intervals)
                                   : ""}};
  } catch (const Error&) {
  }
  std::lock_guard lock(mutex);
  return known[key] = timing;
}

nlohmann::json output(const std::string& name, const jobs::ProjectPaths& project, const fs::path& file) {
  std::error_code ec;
  return fs::is_regular_file(file, ec) ? nlohmann::json(file_url(name, fs::relative(file, project.root).string()))
                                       : nlohmann::json();
}

}  // namespace

std::string file_url(const std::string& project, const std::string& relative) {
  return "/api/v1/projects/" + project + "/files/" + relative;
}

nlohmann::json project_summary(const std::string& name, const jobs::ProjectPaths& project, jobs::JobStore& store) {
  const fs::path target = jobs::target_media(project);
  nlohmann::json job_list = nlohmann::json::array();
  for (const auto& job : store.jobs()) {
    if (job.spec.project == name) job_list.push_back(jobs::to_json(job));
  }
  const fs::path report = project.root / "outputs" / "final.review.json";
  return {{"name", name},
          {"source",
           {{"media", media_list(jobs::source_media(project))},
            {"dataset", faces_of(name, project, project.source_dataset(), 500)}}},
          {"target",
           {{"media", target.empty() ? nlohmann::json() : media_list({target}).at(0)},
            {"url", target.empty() ? nlohmann::json() : output(name, project, target)},
            {"timing", timing_of(target)},
            {"dataset", faces_of(name, project, project.target_dataset(), 24)},
            {"people", people_of(name, project)}}},
          {"outputs",
           {{"final", output(name, project, project.final_video())},
            {"swapped", output(name, project, project.swapped())},
            {"review_report", output(name, project, report)}}},
          {"jobs", job_list}};
}

}  // namespace wf::server
