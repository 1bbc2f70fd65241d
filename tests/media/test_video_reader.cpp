#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "core/error.h"
#include "core/subprocess.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"

namespace wf::media {
namespace {

// 3 s at 10 fps, lossless (FFV1): frame i is a flat grey of value 8 * i, so a frame tells its own index.
std::filesystem::path make_video(const test::TempDir& dir) {
  const auto path = dir / "clip.mkv";
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 10.0, {64, 48});
  EXPECT_TRUE(writer.isOpened());
  for (int i = 0; i < 30; ++i) writer.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(8 * i)));
  writer.release();
  return path;
}

std::vector<Frame> read_all(const std::filesystem::path& path, FrameSampling sampling) {
  VideoReader reader(path, sampling);
  std::vector<Frame> frames;
  while (auto frame = reader.next()) frames.push_back(std::move(*frame));
  return frames;
}

TEST(VideoReader, EveryFrameWithItsIndexAndTime) {
  test::TempDir dir;
  const auto path = make_video(dir);
  const VideoReader reader(path);
  EXPECT_EQ(reader.info().width, 64);
  EXPECT_EQ(reader.info().height, 48);
  EXPECT_DOUBLE_EQ(reader.info().fps, 10.0);
  const auto frames = read_all(path, {});
  ASSERT_EQ(frames.size(), 30u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, static_cast<std::int64_t>(i));
    EXPECT_NEAR(frames[i].timestamp, i / 10.0, 1e-9);
    EXPECT_NEAR(cv::mean(frames[i].image)[0], 8.0 * i, 2.0) << "frame " << i;  // the pixels are frame i's
  }
}

TEST(VideoReader, SamplingKeepsTheFramesAskedFor) {
  test::TempDir dir;
  const auto path = make_video(dir);
  auto indices = [&](FrameSampling sampling) {
    std::vector<std::int64_t> out;
    for (const auto& frame : read_all(path, sampling)) out.push_back(frame.index);
    EXPECT_EQ(VideoReader(path, sampling).expected_frames(), static_cast<std::int64_t>(out.size()));
    return out;
  };
  EXPECT_EQ(indices({.every_nth = 4}), (std::vector<std::int64_t>{0, 4, 8, 12, 16, 20, 24, 28}));
  EXPECT_EQ(indices({.per_second = 2}), (std::vector<std::int64_t>{0, 5, 10, 15, 20, 25}));
  EXPECT_EQ(indices({.start_s = 1.0, .end_s = 1.5}), (std::vector<std::int64_t>{10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(indices({.every_nth = 3, .start_s = 2.0}), (std::vector<std::int64_t>{20, 23, 26, 29}));
  // A frame range (a worker's share of a sharded swap): the frames skipped to reach it are not converted, and
  // the ones read are exactly the range's, pixels included.
  EXPECT_EQ(indices({.first_frame = 27}), (std::vector<std::int64_t>{27, 28, 29}));
  EXPECT_EQ(indices({.first_frame = 3, .end_frame = 6}), (std::vector<std::int64_t>{3, 4, 5}));
  EXPECT_EQ(indices({.first_frame = 5, .end_frame = 5}), (std::vector<std::int64_t>{}));
  EXPECT_EQ(indices({.first_frame = 40}), (std::vector<std::int64_t>{}));
  const auto ranged = read_all(path, {.first_frame = 12, .end_frame = 14});
  ASSERT_EQ(ranged.size(), 2u);
  EXPECT_NEAR(cv::mean(ranged[1].image)[0], 8.0 * 13, 2.0);
  EXPECT_THROW(VideoReader(path, {.first_frame = 6, .end_frame = 2}), Error);
}

TEST(VideoReader, BadFilesGiveOneClearErrorAndTruncatedOnesEndEarly) {
  test::TempDir dir;
  EXPECT_THROW(VideoReader(dir / "absent.mp4"), Error);
  test::write_text(dir / "text.mp4", "this is not a video");
  try {
    VideoReader reader(dir / "text.mp4");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_EQ(e.path(), dir / "text.mp4");
  }
  test::write_text(dir / "empty.mp4", "");
  EXPECT_THROW(VideoReader(dir / "empty.mp4"), Error);
  EXPECT_THROW(VideoReader(make_video(dir), {.every_nth = 0}), Error);

  const std::string whole = test::read_text(make_video(dir));
  test::write_text(dir / "cut.mkv", whole.substr(0, whole.size() / 2));
  std::size_t frames = 0;
  try {
    frames = read_all(dir / "cut.mkv", {}).size();
  } catch (const Error&) {
    // refusing the truncated file outright is a clear answer too
  }
  EXPECT_LT(frames, 30u);
}

void ffmpeg(std::vector<std::string> args) {
  args.insert(args.begin(), {"ffmpeg", "-hide_banner", "-loglevel", "error", "-y"});
  const core::ProcessResult run = core::run_process(args);
  ASSERT_EQ(run.status, 0) << run.errors;
}

// A phone's clip: the group photo panning, in MP4 (the display matrix is an MP4 thing), as it was recorded
// (`stored`) and the same stream tagged to be shown turned by `degrees` counter-clockwise (`turned`); and
// `shown`: the turned clip as ffmpeg shows it, as a player does.
struct TurnedClip {
  std::filesystem::path stored, turned, shown;
};

TurnedClip turned_clip(const test::TempDir& dir, int degrees) {
  const std::string turn = std::to_string(degrees);
  TurnedClip clip{dir / "stored.mp4", dir / ("turned" + turn + ".mp4"), dir / ("shown" + turn + ".mkv")};
  if (!std::filesystem::exists(clip.stored)) {
    test::group_photo_clip(3).write(dir / "clip.mkv");
    ffmpeg({"-i", (dir / "clip.mkv").string(), "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p",
            clip.stored.string()});
  }
  // -metadata:s:v rotate=D is ffmpeg 5.1's way to set the display matrix (ffprobe then says "rotation": D).
  ffmpeg({"-i", clip.stored.string(), "-c", "copy", "-metadata:s:v", "rotate=" + turn, clip.turned.string()});
  ffmpeg({"-i", clip.turned.string(), "-c:v", "ffv1", clip.shown.string()});
  return clip;
}

double mean_difference(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size()) return 255;
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

TEST(VideoReader, APhoneClipsFramesComeUprightAsAPlayerShowsThem) {
  test::TempDir dir;
  for (const auto& [degrees, turn] :
       {std::pair{90, cv::ROTATE_90_COUNTERCLOCKWISE}, std::pair{270, cv::ROTATE_90_CLOCKWISE}}) {
    SCOPED_TRACE("turned by " + std::to_string(degrees));
    const TurnedClip clip = turned_clip(dir, degrees);
    const auto stored = read_all(clip.stored, {}), turned = read_all(clip.turned, {}), shown = read_all(clip.shown, {});
    ASSERT_EQ(turned.size(), 3u);
    ASSERT_EQ(stored.size(), 3u);
    ASSERT_EQ(shown.size(), 3u);
    const VideoReader reader(clip.turned);
    EXPECT_EQ(reader.info().width, stored[0].image.rows);
    EXPECT_EQ(reader.info().height, stored[0].image.cols);
    for (std::size_t i = 0; i < turned.size(); ++i) {
      cv::Mat upright;
      cv::rotate(stored[i].image, upright, turn);
      EXPECT_LT(mean_difference(turned[i].image, upright), 1.0) << "frame " << i;
      EXPECT_LT(mean_difference(turned[i].image, shown[i].image), 3.0) << "frame " << i << " as a player shows it";
      cv::Mat upside_down;
      cv::rotate(upright, upside_down, cv::ROTATE_180);
      EXPECT_GT(mean_difference(turned[i].image, upside_down), 10.0) << "frame " << i;
    }
    const MediaInfo probed = probe_media(clip.turned);
    EXPECT_EQ(probed.rotation, degrees);
    EXPECT_EQ(probed.width, stored[0].image.rows) << "the displayed size";
    EXPECT_EQ(probed.height, stored[0].image.cols);
  }
}

}  // namespace
}  // namespace wf::media
