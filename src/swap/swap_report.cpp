#include "swap/swap_report.h"

#include "core/error.h"
#include "core/json_io.h"
#include "core/json_number.h"

namespace wf::swap {
namespace fs = std::filesystem;

fs::path swap_report_path(const fs::path& output) {
  return output.parent_path() / (output.stem().string() + ".swap.json");
}

void write_swap_report(const SwapReport& report) {
  const SwapOptions& o = report.options;
  nlohmann::json value = {{"version", kSwapReportVersion},
                          {"engine", to_string(o.engine)},
                          {"source", fs::absolute(o.source).string()},
                          {"target", fs::absolute(o.target).string()},
                          {"frames", report.frames},
                          {"video_codec", report.video_codec},
                          {"audio_streams", report.audio_streams},
                          {"options", swap_options_to_json(o)},
                          {"swapped", report.swapped}};
  core::put_path(value, "video", report.video);  // review reopens both
  core::put_path(value, "output", fs::absolute(o.output));
  core::write_json_file(swap_report_path(o.output), value);
}

namespace {

// A version 2 report (before this release) read as version 3: `lossless` and `provenance` moved into the options,
// `smooth_landmarks` is `smoothing`; its swap kept no expression (keep_expression, absent, reads false).
nlohmann::json options_of_version_2(const nlohmann::json& report) {
  nlohmann::json options = report.at("options");
  options["smoothing"] = options.at("smooth_landmarks");
  options.erase("smooth_landmarks");
  options["lossless"] = report.at("lossless");
  options["provenance"] = report.at("provenance");
  return options;
}

}  // namespace

SwapReport read_swap_report(const fs::path& video) {
  const fs::path path = swap_report_path(video);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(ErrorCode::not_found,
                "this video has no swap report beside it (" + path.filename().string() +
                    "): review needs to know which frames were swapped and how",
                video, "review a video that watserface swap wrote, with its .swap.json next to it");
  }
  const nlohmann::json value = core::read_json_file(path);
  const auto malformed = [&](const std::string& what) {
    return Error(ErrorCode::corrupt_file, "malformed swap report: " + what, path, "swap the video again");
  };
  try {
    if (!value.is_object()) throw malformed("not a JSON object");
    const int version = core::json_number<int>(value.value("version", nlohmann::json(0)), "version");
    if (version != kSwapReportVersion && version != 2) {
      throw Error(ErrorCode::unsupported,
                  "the swap report is version " + std::to_string(version) + "; this WatserFace reads version " +
                      std::to_string(kSwapReportVersion),
                  path, "swap the video again with this version");
    }
    SwapReport report;
    report.options = swap_options_from_json(version == 2 ? options_of_version_2(value) : value.at("options"), path);
    report.options.output = core::get_path(value, "output");  // exact where the name is not UTF-8
    report.video = value.at("video").get<std::string>();
    report.frames = core::json_number<std::int64_t>(value.at("frames"), "frames");
    report.video_codec = value.at("video_codec").get<std::string>();
    report.audio_streams = core::json_number<std::size_t>(value.at("audio_streams"), "audio_streams");
    report.swapped = value.at("swapped");
    if (!report.swapped.is_array()) throw malformed("swapped is not a list");
    for (const auto& entry : report.swapped)
      (void)core::json_number<std::int64_t>(entry.at("frame"), "a swapped frame");
    return report;
  } catch (const nlohmann::json::exception& e) {
    throw malformed(e.what());
  } catch (const Error& e) {
    if (!e.path().empty()) throw;
    throw malformed(e.message());
  }
}

}  // namespace wf::swap
