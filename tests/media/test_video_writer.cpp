#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "media/image_io.h"
#include "media/media_probe.h"
#include "media/video_writer.h"
#include "support/temp_dir.h"

namespace wf::media {
namespace {
namespace fs = std::filesystem;

// Frames of noise (they compress badly, so the file is large): `seed` picks which.
std::vector<cv::Mat> noise(int count, int seed) {
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  std::vector<cv::Mat> frames;
  for (int i = 0; i < count; ++i) {
    cv::Mat frame(96, 128, CV_8UC3);
    rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
    frames.push_back(frame);
  }
  return frames;
}

void write_video(const fs::path& output, const std::vector<cv::Mat>& frames, bool lossless) {
  VideoWriter writer({.output = output, .width = 128, .height = 96, .frame_rate = "10", .lossless = lossless});
  for (const auto& frame : frames) writer.write(frame);
  writer.finish();
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A file-size limit (ulimit -f) for this process and the ffmpeg it starts, which then fails with EFBIG as on a
// full disk; SIGXFSZ ignored, as the CLI does.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limited);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

TEST(VideoWriter, WritesEveryFrameAndLeavesNoTemporaryFile) {
  test::TempDir dir;
  write_video(dir / "out.mp4", noise(6, 1), false);
  write_video(dir / "out.mkv", noise(6, 1), true);
  EXPECT_EQ(count_frames(dir / "out.mp4"), 6);
  EXPECT_EQ(count_frames(dir / "out.mkv"), 6);
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"out.mkv", "out.mp4"}));
}

// ffmpeg exits 0 when only the end of the file (the MP4 index, the Matroska cues) could not be written: the
// previous output must stay as it was all the same, the error naming the output, not a temporary file.
TEST(VideoWriter, AFullDiskKeepsThePreviousOutputAndNamesIt) {
  for (const bool lossless : {false, true}) {
    test::TempDir dir;
    const fs::path output = dir / (lossless ? "out.mkv" : "out.mp4");
    write_video(output, noise(6, 1), lossless);
    const std::string before = test::read_text(output);
    const auto size = static_cast<rlim_t>(before.size());
    // One byte short of the same video (its index or cues fail), then half of it (its frames fail).
    for (const rlim_t limit : {size - 1, size / 2}) {
      SCOPED_TRACE((lossless ? "mkv, limit " : "mp4, limit ") + std::to_string(limit));
      std::string what;
      try {
        const FileSizeLimit full(limit);
        write_video(output, noise(6, 1), lossless);
        ADD_FAILURE() << "no error";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::disk_full) << e.what();
        EXPECT_EQ(e.path(), output);
        what = e.what();
      }
      EXPECT_EQ(what.find(".tmp"), std::string::npos) << what;
      EXPECT_EQ(test::read_text(output), before) << "the previous output is as it was";
      EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{output.filename().string()}))
          << "no temporary file left";
    }
  }
}

// A name of NAME_MAX bytes is a valid output: the temporary file beside it must fit too.
TEST(VideoWriter, TheLongestNameAFolderTakesIsWritten) {
  test::TempDir dir;
  const fs::path video = dir / (std::string(251, 'v') + ".mp4"), photo = dir / (std::string(251, 'p') + ".png");
  write_video(video, noise(2, 1), false);
  write_image(photo, noise(1, 2)[0]);
  EXPECT_EQ(count_frames(video), 2);
  EXPECT_EQ(read_image(photo).size(), cv::Size(128, 96));
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{photo.filename().string(), video.filename().string()}));
}

}  // namespace
}  // namespace wf::media
