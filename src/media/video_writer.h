#pragma once
// Frames into a video file through ffmpeg (a child process fed raw BGR frames): H.264 in MP4 when the FFmpeg
// build has libx264 (else MPEG-4 Part 2, which every build has), the frame rate kept exactly, the audio of
// another file copied in (re-encoded to AAC only when the container cannot hold its codec), and metadata tags
// (the provenance mark). ffmpeg writes a temporary file beside the output, which replaces the output only once it is
// checked whole: a failed run (a full disk, a file-size limit) leaves the previous output as it was.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "media/media_probe.h"

namespace wf::core {
class AtomicFile;
class ProcessPipe;
struct ProcessResult;
}  // namespace wf::core

namespace wf::media {

struct VideoWriterOptions {
  std::filesystem::path output{};  // .mp4, .mov or .mkv
  int width = 0, height = 0;
  std::string frame_rate{};                   // ffprobe's r_frame_rate ("30000/1001") or a number
  std::filesystem::path audio_from{};         // copy audio from this file (empty: no audio)
  std::vector<AudioStream> audio{};           // its streams to copy (probe_media's), in order
  std::map<std::string, std::string> tags{};  // container metadata
  int crf = 18;                               // x264 quality (lower: better, larger)
  bool lossless = false;                      // FFV1 (.mkv only): frames decode exactly as written
};

class VideoWriter {
 public:
  // Throws wf::Error: unsupported when ffmpeg is missing, invalid_input for a size or rate it cannot take.
  // Throws wf::Error naming the output when the temporary file cannot be made beside it (disk_full for a full disk).
  explicit VideoWriter(VideoWriterOptions options);
  ~VideoWriter();  // an unfinished file is removed
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  void write(const cv::Mat& bgr);  // width x height, 8-bit BGR
  // Closes the stream, waits for ffmpeg, checks that the file holds every frame written, and only then moves it
  // over the output. Throws wf::Error naming the output: disk_full when the disk or a file-size limit ran out,
  // corrupt_file when the file lacks frames, invalid_input with what ffmpeg said for the rest.
  void finish();
  std::int64_t frames() const { return frames_; }
  const std::string& video_codec() const { return codec_; }

 private:
  VideoWriterOptions options_;
  std::unique_ptr<core::AtomicFile> file_;     // before ffmpeg_: ffmpeg stops before its file is removed
  std::unique_ptr<core::ProcessPipe> ffmpeg_;  // null once finished
  std::string codec_;
  std::int64_t frames_ = 0;
};

// What an ffmpeg run that wrote `temporary` on behalf of `output` said, as the error to throw, naming `output`
// (never the temporary): unsupported without ffmpeg, disk_full when the disk, a quota or a file-size limit ran out,
// invalid_input with what ffmpeg said for the rest.
[[noreturn]] void fail_writing(const core::ProcessResult& result, const std::filesystem::path& temporary,
                               const std::filesystem::path& output);
// Throws as fail_writing unless `temporary` is a whole video of `frames` frames: ffmpeg exits 0 even when it could
// not write the end of the file (an MP4 without its index, a Matroska file without its cues), so what it said and
// the frames read back are checked too (corrupt_file when they fall short).
void check_written(const core::ProcessResult& result, const std::filesystem::path& temporary,
                   const std::filesystem::path& output, std::int64_t frames);

// The encoder the writer uses on this machine: "libx264", else "mpeg4".
std::string h264_or_fallback();

}  // namespace wf::media
