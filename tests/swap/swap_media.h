#pragma once
// The swap tests' media, made once per test program: the panning group-photo clip (silent, and with a 440 Hz
// tone as its audio), its target dataset, and Grace Hopper's source dataset; and the ffmpeg helpers they use.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "models/face_analysers.h"
#include "support/temp_dir.h"

namespace wf::test {

struct SwapMedia {
  TempDir dir;
  std::filesystem::path silent = dir / "silent.mkv", video = dir / "party.mkv", target = dir / "target",
                        source = dir / "source";
  models::FaceAnalysers analysers;
  SwapMedia();
};

SwapMedia& media();

// Runs ffmpeg with these arguments; a failure fails the test with what ffmpeg said.
void ffmpeg(std::vector<std::string> args);
// Every frame of a video, decoded.
std::vector<cv::Mat> decode(const std::filesystem::path& video);
// ffprobe's streams and format, frames counted.
nlohmann::json ffprobe(const std::filesystem::path& file);

}  // namespace wf::test
