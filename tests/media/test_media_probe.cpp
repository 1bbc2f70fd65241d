// Frame timing judged as FFmpeg judges it: a clip is constant when its frames are evenly spaced, whatever the
// container does with timestamps (AVI's MPEG-4 with B-frames leaves the presentation time out of the packets that
// carry them; MP4 and Matroska reorder them), and variable only when the frames really are unevenly spaced.

#include <gtest/gtest.h>

#include "core/subprocess.h"
#include "media/media_probe.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"

namespace wf::media {
namespace {
namespace fs = std::filesystem;

void ffmpeg(const fs::path& input, std::vector<std::string> args, const fs::path& output) {
  args.insert(args.begin(), {"ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", input.string()});
  args.push_back(output.string());
  const core::ProcessResult run = core::run_process(args);
  ASSERT_EQ(run.status, 0) << run.errors;
}

TEST(MediaProbe, FrameTimingIsJudgedFromEvenlySpacedFramesWhateverTheContainerDoesWithTimestamps) {
  test::TempDir dir;
  test::PanningClip clip = test::group_photo_clip(36);
  clip.fps = 2997.0 / 125.0;  // a film's 23.976 frames a second, as the clip that was refused
  clip.write(dir / "clip.mkv");
  ffmpeg(dir / "clip.mkv", {"-r", "2997/125", "-c:v", "mpeg4", "-bf", "2", "-vtag", "XVID"}, dir / "film.avi");
  ffmpeg(dir / "clip.mkv", {"-r", "2997/125", "-c:v", "libx264", "-bf", "2"}, dir / "film.mp4");
  ffmpeg(dir / "film.mp4", {"-c", "copy"}, dir / "film.mkv");

  const core::ProcessResult packets = core::run_process({"ffprobe", "-v", "error", "-select_streams", "v:0",
                                                         "-show_entries", "packet=pts_time", "-of", "csv=p=0",
                                                         (dir / "film.avi").string()});
  ASSERT_NE(packets.output.find("N/A"), std::string::npos) << "the AVI leaves some packets untimed, as the film's did";

  for (const char* name : {"film.avi", "film.mp4", "film.mkv", "clip.mkv"}) {
    const MediaInfo info = probe_media(dir / name);
    EXPECT_FALSE(info.variable_frame_rate())
        << name << ": " << info.irregular_intervals << " of " << info.intervals << " intervals off";
    EXPECT_GE(info.intervals, 34) << name << ": every frame is timed";
    EXPECT_NEAR(info.fps, 23.976, 0.01) << name;
  }

  // Really uneven: three frames, a gap of half a second, then the rest.
  ffmpeg(dir / "clip.mkv",
         {"-vf", "select='lt(n\\,3)+gte(n\\,6)',setpts=N/10/TB+if(gte(N\\,3)\\,0.5/TB\\,0)", "-vsync", "vfr", "-c:v",
          "ffv1"},
         dir / "uneven.mkv");
  const MediaInfo uneven = probe_media(dir / "uneven.mkv");
  EXPECT_TRUE(uneven.variable_frame_rate());
  EXPECT_GE(uneven.irregular_intervals, 1);
}

}  // namespace
}  // namespace wf::media
