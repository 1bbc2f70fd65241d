#include "media/constant_rate.h"

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/subprocess.h"
#include "media/video_writer.h"

namespace wf::media {

double even_frame_rate(const MediaInfo& info) {
  if (info.frames && *info.frames > 1 && info.duration > 0) return static_cast<double>(*info.frames) / info.duration;
  return info.average_fps > 0 ? info.average_fps : info.fps;
}

void make_constant_rate(const std::filesystem::path& video, const std::filesystem::path& output) {
  const MediaInfo info = probe_media(video);
  const std::optional<std::int64_t> frames = count_frames(video);
  const double rate = even_frame_rate(info);
  if (!frames || rate <= 0) {
    throw Error(ErrorCode::invalid_input, "the video's frames cannot be counted, so it cannot be re-timed", video,
                "convert it to H.264 MP4 with a constant frame rate in a video editor");
  }
  const std::string r = fmt::format("{:.6f}", rate);
  core::AtomicFile file(output);
  const core::ProcessResult run = core::run_process({"ffmpeg",
                                                     "-hide_banner",
                                                     "-loglevel",
                                                     "error",
                                                     "-y",
                                                     "-i",
                                                     video.string(),
                                                     "-map",
                                                     "0:v:0",
                                                     "-map",
                                                     "0:a?",
                                                     "-vf",
                                                     "setpts=N/" + r + "/TB",
                                                     "-r",
                                                     r,
                                                     "-fps_mode",
                                                     "cfr",
                                                     "-c:v",
                                                     "ffv1",
                                                     "-c:a",
                                                     "copy",
                                                     "-f",
                                                     "matroska",
                                                     file.temporary().string()});
  check_written(run, file.temporary(), output, *frames);  // every frame, and a whole file (a full disk says so)
  file.commit();
}

}  // namespace wf::media
