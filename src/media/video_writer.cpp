#include "media/video_writer.h"

#include <cerrno>
#include <cstring>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/subprocess.h"
#include "media/image_io.h"

namespace wf::media {
namespace {

// Audio codecs an MP4/MOV file carries as they are; others are re-encoded to AAC.
bool mp4_carries(const std::string& codec) {
  static const std::set<std::string> codecs{"aac", "mp3", "ac3", "eac3", "alac"};
  return codecs.count(codec) > 0;
}

// `text` with every `from` replaced by `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); !from.empty() && at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

std::string h264_or_fallback() {
  static const std::string encoder = [] {
    const core::ProcessResult run = core::run_process({"ffmpeg", "-hide_banner", "-encoders"});
    if (run.status == 127) {
      throw Error(ErrorCode::unsupported, "ffmpeg is not installed", {},
                  "install Debian's ffmpeg package (scripts/setup does)");
    }
    return run.output.find(" libx264 ") != std::string::npos ? std::string("libx264") : std::string("mpeg4");
  }();
  return encoder;
}

VideoWriter::VideoWriter(VideoWriterOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  if (o.width <= 0 || o.height <= 0 || o.frame_rate.empty()) {
    throw Error(ErrorCode::invalid_input, "a video needs a size and a frame rate", o.output);
  }
  const std::string extension = lowercase_extension(o.output);
  if (extension != ".mp4" && extension != ".mov" && extension != ".mkv") {
    throw Error(ErrorCode::invalid_input, "the output must be .mp4, .mov or .mkv", o.output, "name it output.mp4");
  }
  const bool matroska = extension == ".mkv";
  if (o.lossless && !matroska) {
    throw Error(ErrorCode::invalid_input, "a lossless video is written as Matroska", o.output, "name it output.mkv");
  }
  codec_ = o.lossless ? "ffv1" : h264_or_fallback();
  file_ = std::make_unique<core::AtomicFile>(o.output);
  std::vector<std::string> args{"ffmpeg",
                                "-hide_banner",
                                "-loglevel",
                                "error",
                                "-y",
                                "-f",
                                "rawvideo",
                                "-pix_fmt",
                                "bgr24",
                                "-s",
                                std::to_string(o.width) + "x" + std::to_string(o.height),
                                "-framerate",
                                o.frame_rate,
                                "-i",
                                "-"};
  if (!o.audio.empty()) args.insert(args.end(), {"-i", o.audio_from.string()});
  args.insert(args.end(), {"-map", "0:v:0"});
  for (const auto& stream : o.audio) args.insert(args.end(), {"-map", "1:" + std::to_string(stream.index)});
  args.insert(args.end(), {"-c:v", codec_});
  if (codec_ == "ffv1") {
    args.insert(args.end(), {"-level", "3", "-pix_fmt", "bgr0"});
  } else if (codec_ == "libx264") {
    // 4:2:0 needs even sizes; an odd-sized video keeps its size in 4:4:4.
    const bool even = o.width % 2 == 0 && o.height % 2 == 0;
    args.insert(args.end(),
                {"-preset", "medium", "-crf", std::to_string(o.crf), "-pix_fmt", even ? "yuv420p" : "yuv444p"});
  } else {
    args.insert(args.end(), {"-q:v", "2", "-pix_fmt", "yuv420p"});
  }
  for (std::size_t i = 0; i < o.audio.size(); ++i) {
    const bool copy = matroska || mp4_carries(o.audio[i].codec);
    args.insert(args.end(), {"-c:a:" + std::to_string(i), copy ? "copy" : "aac"});
  }
  for (const auto& [key, value] : o.tags) args.insert(args.end(), {"-metadata", key + "=" + value});
  if (!matroska) args.insert(args.end(), {"-movflags", "+faststart+use_metadata_tags"});
  args.insert(args.end(), {"-f",
                           matroska              ? "matroska"
                           : extension == ".mov" ? "mov"
                                                 : "mp4",
                           file_->temporary().string()});
  ffmpeg_ = std::make_unique<core::ProcessPipe>(args);
}

VideoWriter::~VideoWriter() = default;

void VideoWriter::write(const cv::Mat& bgr) {
  if (!ffmpeg_) throw Error(ErrorCode::internal, "the video was already finished", options_.output);
  if (bgr.cols != options_.width || bgr.rows != options_.height || bgr.type() != CV_8UC3) {
    throw Error(ErrorCode::internal, "a frame of another size or type than the video's", options_.output);
  }
  const cv::Mat frame = bgr.isContinuous() ? bgr : bgr.clone();
  if (!ffmpeg_->write(frame.data, frame.total() * frame.elemSize())) {  // ffmpeg stopped: what it said tells why
    const core::ProcessResult result = ffmpeg_->finish();
    ffmpeg_.reset();
    const std::filesystem::path temporary = file_->temporary();
    file_.reset();
    fail_writing(result, temporary, options_.output);
  }
  ++frames_;
}

void VideoWriter::finish() {
  if (!ffmpeg_) return;
  const core::ProcessResult result = ffmpeg_->finish();
  ffmpeg_.reset();
  try {
    check_written(result, file_->temporary(), options_.output, frames_);
  } catch (const Error&) {
    file_.reset();  // the unfinished file goes before the error reaches the user
    throw;
  }
  file_->commit();
  file_.reset();
}

void check_written(const core::ProcessResult& result, const std::filesystem::path& temporary,
                   const std::filesystem::path& output, std::int64_t frames) {
  if (result.status != 0 || result.errors.find("Error writing trailer") != std::string::npos ||
      result.errors.find("Error closing file") != std::string::npos) {
    fail_writing(result, temporary, output);
  }
  const std::optional<std::int64_t> written = count_frames(temporary);
  if (written != frames) {
    const std::string what =
        written ? "ffmpeg wrote " + std::to_string(*written) + " of the " + std::to_string(frames) + " frames"
                : std::string("ffmpeg wrote a file that cannot be read back");
    throw Error(ErrorCode::corrupt_file, what + ", so the video was not kept", output,
                "check the free space and the output folder, then run it again");
  }
}

void fail_writing(const core::ProcessResult& result, const std::filesystem::path& temporary,
                  const std::filesystem::path& output) {
  if (result.status == 127) {
    throw Error(ErrorCode::unsupported, "ffmpeg is not installed", output, "install Debian's ffmpeg package");
  }
  for (const int full : {ENOSPC, EDQUOT, EFBIG}) {  // the disk, a quota or a file-size limit (ulimit -f)
    if (result.errors.find(std::strerror(full)) != std::string::npos) {
      throw error_from_errno(full, "ffmpeg could not write the whole video", output);
    }
  }
  // ffmpeg names the temporary file, which the user never sees: it is the output to them.
  const std::string said = replace_all(result.errors, temporary.string(), output.string());
  throw Error(ErrorCode::invalid_input, "ffmpeg could not write the video: " + said.substr(0, 300), output,
              "check the output path and the input's audio");
}

}  // namespace wf::media
