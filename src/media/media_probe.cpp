#include "media/media_probe.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/subprocess.h"

namespace wf::media {
namespace {

// "30000/1001" -> 29.97; "0/0" -> 0.
double rate(const nlohmann::json& stream, const char* key) {
  const std::string text = stream.value(key, "0/0");
  const auto slash = text.find('/');
  if (slash == std::string::npos) return std::atof(text.c_str());
  const double den = std::atof(text.c_str() + slash + 1);
  return den > 0 ? std::atof(text.substr(0, slash).c_str()) / den : 0;
}

// The display matrix's turn in counter-clockwise degrees, 0 to 359 (ffprobe's "rotation", -90 for a phone held
// upright); 0 when there is none.
int display_rotation(const nlohmann::json& stream) {
  for (const auto& side_data : stream.value("side_data_list", nlohmann::json::array())) {
    const auto rotation = side_data.find("rotation");
    if (rotation != side_data.end() && rotation->is_number()) {
      return ((static_cast<int>(std::lround(rotation->get<double>())) % 360) + 360) % 360;
    }
  }
  return 0;
}

}  // namespace

bool MediaInfo::variable_frame_rate() const {
  const bool rates_differ = fps > 0 && average_fps > 0 && std::abs(fps - average_fps) > 0.01 * fps;
  return rates_differ || irregular_intervals * 100 > intervals;
}

MediaInfo probe_media(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(ErrorCode::not_found, "media file not found", path, "check the path");
  const core::ProcessResult run =
      core::run_process({"ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path.string()});
  if (run.status == 127) {
    throw Error(ErrorCode::unsupported, "ffprobe is not installed", path,
                "install Debian's ffmpeg package (scripts/setup does)");
  }
  const auto json = nlohmann::json::parse(run.output, nullptr, false);
  if (run.status != 0 || json.is_discarded()) {
    throw Error(ErrorCode::invalid_input, "ffprobe cannot read the file: " + run.errors.substr(0, 200), path,
                "convert it with ffmpeg to H.264 MP4");
  }
  MediaInfo info;
  bool picture = false;
  const nlohmann::json streams = json.value("streams", nlohmann::json::array());
  for (const auto& stream : streams) {
    const std::string type = stream.value("codec_type", "");
    if (type == "video" && !picture &&
        stream.value("disposition", nlohmann::json::object()).value("attached_pic", 0) == 0) {
      picture = true;
      info.width = stream.value("width", 0);
      info.height = stream.value("height", 0);
      info.rotation = display_rotation(stream);
      if (info.rotation % 180 == 90) std::swap(info.width, info.height);
      info.fps = rate(stream, "r_frame_rate");
      info.frame_rate = stream.value("r_frame_rate", "");
      info.average_fps = rate(stream, "avg_frame_rate");
      info.video_codec = stream.value("codec_name", "");
      if (stream.contains("nb_frames")) info.frames = std::atoll(stream.at("nb_frames").get<std::string>().c_str());
    } else if (type == "audio") {
      info.audio.push_back({stream.value("index", 0), stream.value("codec_name", ""), stream.value("channels", 0),
                            stream.value("tags", nlohmann::json::object()).value("language", "")});
    }
  }
  if (!picture || info.width <= 0 || info.height <= 0) {
    throw Error(ErrorCode::invalid_input, "the file has no picture stream", path, "give a video or an image");
  }
  const nlohmann::json format = json.value("format", nlohmann::json::object());
  info.duration = std::atof(format.value("duration", "0").c_str());
  const nlohmann::json tags = format.value("tags", nlohmann::json::object());
  for (const auto& [key, value] : tags.items()) {
    if (value.is_string()) info.tags[key] = value.get<std::string>();
  }
  // The picture's timestamps, from the packets (demuxing only: fast even for long videos). A container that times
  // frames by their decoding order (AVI) leaves a packet's presentation time out where B-frames are packed with the
  // frame before them; its decoding times then stand for all, as FFmpeg's best-effort timestamp does.
  const core::ProcessResult packets =
      core::run_process({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                         "packet=pts_time,dts_time", "-of", "csv=p=0", path.string()});
  std::vector<double> presented, decoded;
  bool every_presented = true, every_decoded = true;
  for (std::size_t at = 0; at < packets.output.size();) {
    const std::size_t end = std::min(packets.output.find('\n', at), packets.output.size());
    const std::string line = packets.output.substr(at, end - at);
    at = end + 1;
    if (line.empty()) continue;
    const std::size_t comma = line.find(',');
    const std::string pts = line.substr(0, comma), dts = comma == std::string::npos ? "" : line.substr(comma + 1);
    if (pts.empty() || pts == "N/A")
      every_presented = false;
    else
      presented.push_back(std::atof(pts.c_str()));
    if (dts.empty() || dts == "N/A")
      every_decoded = false;
    else
      decoded.push_back(std::atof(dts.c_str()));
  }
  std::vector<double>& times = !every_presented && every_decoded ? decoded : presented;
  std::sort(times.begin(), times.end());  // packets come in decoding order
  for (std::size_t i = 1; i < times.size() && info.fps > 0; ++i) {
    ++info.intervals;
    if (std::abs((times[i] - times[i - 1]) * info.fps - 1.0) > 0.25) ++info.irregular_intervals;
  }
  return info;
}

std::optional<std::int64_t> count_frames(const std::filesystem::path& path) {
  const core::ProcessResult run =
      core::run_process({"ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                         "stream=nb_read_packets", "-of", "csv=p=0", path.string()});
  const std::string count = run.output.substr(0, run.output.find_first_of("\n,"));
  if (run.status != 0 || count.empty() || count.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(count);
}

}  // namespace wf::media
