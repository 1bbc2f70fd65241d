#include "swap/swap_report.h"

#include "core/error.h"
#include "core/json_io.h"

namespace wf::swap {
namespace fs = std::filesystem;

fs::path swap_report_path(const fs::path& output) {
  return output.parent_path() / (output.stem().string() + ".swap.json");
}

void write_swap_report(const SwapReport& report) {
  const SwapOptions& o = report.options;
  core::write_json_file(swap_report_path(o.output), {{"version", kSwapReportVersion},
                                                     {"engine", o.engine},
                                                     {"source", fs::absolute(o.source).string()},
                                                     {"target", fs::absolute(o.target).string()},
                                                     {"video", report.video.string()},
                                                     {"output", fs::absolute(o.output).string()},
                                                     {"frames", report.frames},
                                                     {"video_codec", report.video_codec},
                                                     {"audio_streams", report.audio_streams},
                                                     {"lossless", o.lossless},
                                                     {"provenance", o.provenance},
                                                     {"options", swap_options_to_json(o)},
                                                     {"swapped", report.swapped}});
}

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
  const int version = value.value("version", 0);
  if (version != kSwapReportVersion) {
    throw Error(ErrorCode::unsupported,
                "the swap report is version " + std::to_string(version) + "; this WatserFace reads version " +
                    std::to_string(kSwapReportVersion),
                path, "swap the video again with this version");
  }
  try {
    SwapReport report;
    report.options = swap_options_from_json(value.at("options"), path);
    report.options.output = value.at("output").get<std::string>();
    report.options.lossless = value.at("lossless").get<bool>();
    report.options.provenance = value.at("provenance").get<bool>();
    report.video = value.at("video").get<std::string>();
    report.frames = value.at("frames").get<std::int64_t>();
    report.video_codec = value.at("video_codec").get<std::string>();
    report.audio_streams = value.at("audio_streams").get<std::size_t>();
    report.swapped = value.at("swapped");
    for (const auto& entry : report.swapped) (void)entry.at("frame").get<std::int64_t>();
    return report;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed swap report: ") + e.what(), path,
                "swap the video again");
  }
}

}  // namespace wf::swap
