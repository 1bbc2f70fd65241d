#pragma once
// What ffprobe says about a media file: its picture stream (size, frame rates, frame count), its audio streams
// and its container tags. The swap uses it to keep the frame rate and audio, and to explain what it cannot keep.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wf::media {

struct AudioStream {
  int index = 0;  // the stream's index in the file
  std::string codec;
  int channels = 0;
  std::string language;  // the "language" tag, or ""
};

struct MediaInfo {
  int width = 0, height = 0;           // as displayed: a picture turned by 90 or 270 degrees has its sides swapped
  int rotation = 0;                    // the display matrix's turn: 0, 90, 180 or 270 degrees counter-clockwise
  double fps = 0;                      // r_frame_rate: the base rate frames are timed on
  std::string frame_rate;              // the same as ffprobe writes it ("30000/1001"), for an encoder to keep exactly
  double average_fps = 0;              // avg_frame_rate: frames over duration
  std::optional<std::int64_t> frames;  // the container's count when it states one
  double duration = 0;
  std::string video_codec;
  std::vector<AudioStream> audio;
  std::map<std::string, std::string> tags;  // the container's metadata
  // Frame intervals (from the packets' timestamps) and how many of them are off 1 / fps by more than a quarter.
  std::int64_t intervals = 0, irregular_intervals = 0;

  // Frames are not evenly spaced: the two rates differ by more than 1%, or more than 1% of the intervals are off.
  bool variable_frame_rate() const;
};

// Throws wf::Error: not_found; unsupported when ffprobe is not installed (the fix names the Debian package);
// invalid_input when the file has no picture stream ffprobe can read.
MediaInfo probe_media(const std::filesystem::path& path);

// The frames of the picture stream, counted from its packets (demuxing only), or nullopt when ffprobe cannot read
// the file (or is not installed).
std::optional<std::int64_t> count_frames(const std::filesystem::path& path);

}  // namespace wf::media
