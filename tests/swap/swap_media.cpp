#include "swap_media.h"

#include <gtest/gtest.h>

#include <opencv2/videoio.hpp>

#include "core/subprocess.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "support/synthetic_clip.h"

namespace wf::test {

SwapMedia::SwapMedia() : analysers(models::load_face_analysers(core::AppConfig::defaults())) {
  group_photo_clip(10).write(silent);
  ffmpeg({"-i", silent.string(), "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", "-map", "0:v",
          "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", video.string()});
  extract::TargetOptions target_options;
  target_options.video = video;
  target_options.output = target;
  target_options.crop_size = 256;
  extract::extract_target(target_options, analysers);
  extract::SourceOptions source_options;
  source_options.inputs = {"/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"};
  source_options.output = source;
  source_options.crop_size = 256;
  extract::extract_source(source_options, analysers);
}

SwapMedia& media() {
  static SwapMedia instance;
  return instance;
}

void ffmpeg(std::vector<std::string> args) {
  args.insert(args.begin(), {"ffmpeg", "-hide_banner", "-loglevel", "error", "-y"});
  const core::ProcessResult run = core::run_process(args);
  ASSERT_EQ(run.status, 0) << run.errors;
}

std::vector<cv::Mat> decode(const std::filesystem::path& video) {
  cv::VideoCapture capture(video.string(), cv::CAP_FFMPEG);
  std::vector<cv::Mat> frames;
  for (cv::Mat frame; capture.read(frame);) frames.push_back(frame.clone());
  return frames;
}

nlohmann::json ffprobe(const std::filesystem::path& file) {
  const core::ProcessResult run = core::run_process(
      {"ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", file.string()});
  EXPECT_EQ(run.status, 0) << run.errors;
  return nlohmann::json::parse(run.output);
}

}  // namespace wf::test
