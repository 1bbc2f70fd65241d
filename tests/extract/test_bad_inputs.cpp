// What a user can hand extraction by mistake: an empty file, a text file named .mp4, a video cut short, a
// video without faces, a photo with a damaged colour profile. Each ends with a clear message or a valid
// (possibly empty) dataset, never a crash or a half-written one.

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "models/face_analysers.h"
#include "support/declared_png.h"
#include "support/face_media.h"
#include "media/image_io.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"

namespace wf::extract {
namespace {

models::FaceAnalysers& analysers() {
  static models::FaceAnalysers loaded = models::load_face_analysers(core::AppConfig::defaults());
  return loaded;
}

// Grace Hopper's portrait with an APP2 ICC_PROFILE segment whose profile is garbage.
std::filesystem::path photo_with_broken_colour_profile(const test::TempDir& dir) {
  const std::string jpeg = test::read_text(test::face_photos()[4].path);
  const std::string junk = "ICC_PROFILE" + std::string(1, '\0') + "\x01\x01" + "this is no colour profile at all";
  const auto length = static_cast<unsigned>(junk.size() + 2);
  const std::string segment = std::string("\xFF\xE2", 2) + static_cast<char>(length >> 8) + static_cast<char>(length & 0xFF) + junk;
  const auto path = dir / "grace_broken_icc.jpg";
  test::write_text(path, jpeg.substr(0, 2) + segment + jpeg.substr(2));
  return path;
}

std::filesystem::path cut_short(const test::TempDir& dir, const test::PanningClip& clip) {
  clip.write(dir / "whole.mkv");
  const std::string whole = test::read_text(dir / "whole.mkv");
  test::write_text(dir / "cut.mkv", whole.substr(0, whole.size() * 6 / 10));
  return dir / "cut.mkv";
}

void expect_unreadable_target(const std::filesystem::path& video, const test::TempDir& dir) {
  TargetOptions options;
  options.video = video;
  options.output = dir / ("out_" + video.stem().string());
  try {
    extract_target(options, analysers());
    ADD_FAILURE() << video << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input) << e.what();
    EXPECT_EQ(e.path(), video);
    EXPECT_FALSE(e.hint().empty());
  }
  EXPECT_FALSE(std::filesystem::exists(options.output)) << "no dataset folder for a video that cannot be read";
}

TEST(ExtractionBadInput, EmptyAndTextFilesAreRefusedBeforeAnythingIsWritten) {
  test::TempDir dir;
  test::write_text(dir / "empty.mp4", "");
  test::write_text(dir / "notes.mp4", "shot list: 1. wide 2. close-up\n");
  expect_unreadable_target(dir / "empty.mp4", dir);
  expect_unreadable_target(dir / "notes.mp4", dir);
}

TEST(ExtractionBadInput, AVideoWithoutFacesGivesAValidEmptyDatasetListingEveryFrame) {
  test::TempDir dir;
  cv::Mat sky(360, 640, CV_8UC3);
  for (int y = 0; y < sky.rows; ++y) sky.row(y).setTo(cv::Scalar(255 - y / 2, 180, 90 + y / 3));
  media::write_image(dir / "sky.png", sky);
  test::PanningClip clip;
  clip.photo = dir / "sky.png";
  clip.scale = 1.0;
  clip.frames = 5;
  clip.write(dir / "sky.mkv");
  TargetOptions options;
  options.video = dir / "sky.mkv";
  options.output = dir / "target";
  const TargetSummary summary = extract_target(options, analysers());
  EXPECT_EQ(summary.faces, 0);
  EXPECT_EQ(summary.frames_without_face.size(), 5u);
  EXPECT_TRUE(dataset::validate_dataset(options.output).empty());
}

TEST(ExtractionBadInput, AVideoCutShortGivesTheFramesBeforeTheCut) {
  test::TempDir dir;
  const auto clip = test::group_photo_clip(8);
  TargetOptions options;
  options.video = cut_short(dir, clip);
  options.output = dir / "target";
  try {
    const TargetSummary summary = extract_target(options, analysers());
    EXPECT_LT(summary.frames, clip.frames);
    EXPECT_EQ(summary.faces, summary.frames);
    RecordProperty("frames_before_the_cut", summary.frames);
    EXPECT_TRUE(dataset::validate_dataset(options.output).empty());
  } catch (const Error& e) {  // a container too damaged to open is refused with the file named
    EXPECT_EQ(e.path(), options.video);
  }
}

TEST(ExtractionBadInput, SourceLeavesOutUnreadableFilesAndKeepsTheRest) {
  test::TempDir dir;
  test::write_text(dir / "empty.jpg", "");
  test::write_text(dir / "notes.mp4", "not a video");
  SourceOptions options;
  options.inputs = {photo_with_broken_colour_profile(dir), dir / "empty.jpg", dir / "notes.mp4"};
  options.output = dir / "source";
  const SourceSummary summary = extract_source(options, analysers());
  EXPECT_EQ(summary.faces, 1);  // the damaged profile is ignored, the face is there
  ASSERT_EQ(summary.unreadable.size(), 2u);
  EXPECT_NE(summary.unreadable[0].find("empty.jpg"), std::string::npos) << summary.unreadable[0];
  EXPECT_NE(summary.unreadable[1].find("notes.mp4"), std::string::npos) << summary.unreadable[1];
  EXPECT_TRUE(dataset::validate_dataset(options.output).empty());

  SourceOptions nothing_readable;
  nothing_readable.inputs = {dir / "empty.jpg", dir / "notes.mp4"};
  nothing_readable.output = dir / "nothing";
  try {
    extract_source(nothing_readable, analysers());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), dir / "empty.jpg");
  }
}

// A PNG of 57 bytes declaring 32000x32000 pixels: refused from its header with the limit named, as a source photo
// (the other inputs go on) and as a target; a run that is refused creates no dataset folder at all.
TEST(ExtractionBadInput, APhotoDeclaringGigapixelsIsRefusedAndARefusedRunCreatesNothing) {
  test::TempDir dir;
  test::write_text(dir / "big.png", test::png_declaring(32000, 32000));
  const std::string said = "'big.png' is 32000x32000 pixels (1024 megapixels), over the limit of 100";
  SourceOptions alone;
  alone.inputs = {dir / "big.png"};
  alone.output = dir / "alone";
  try {
    extract_source(alone, analysers());
    ADD_FAILURE() << "the 1024-megapixel photo was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_EQ(e.message(), said);
    EXPECT_EQ(e.path(), dir / "big.png");
  }
  EXPECT_FALSE(std::filesystem::exists(alone.output)) << "a refused extraction left a dataset folder";

  SourceOptions with_grace;
  with_grace.inputs = {dir / "big.png", test::face_photos()[4].path};
  with_grace.output = dir / "source";
  const SourceSummary summary = extract_source(with_grace, analysers());
  EXPECT_EQ(summary.faces, 1);
  ASSERT_EQ(summary.unreadable.size(), 1u);
  EXPECT_NE(summary.unreadable[0].find(said), std::string::npos) << summary.unreadable[0];

  TargetOptions target;
  target.video = dir / "big.png";
  target.output = dir / "target";
  std::string message;
  try {
    extract_target(target, analysers());
  } catch (const Error& e) {
    message = e.message();
  }
  EXPECT_EQ(message, said);
  EXPECT_FALSE(std::filesystem::exists(target.output));

  // A reference photo without a face refuses the run before any face is written: nothing is created either.
  cv::Mat sky(240, 320, CV_8UC3, cv::Scalar(230, 180, 90));
  media::write_image(dir / "sky.png", sky);
  SourceOptions no_reference = with_grace;
  no_reference.inputs = {test::face_photos()[4].path};
  no_reference.reference = dir / "sky.png";
  no_reference.output = dir / "refused";
  EXPECT_THROW(extract_source(no_reference, analysers()), Error);
  EXPECT_FALSE(std::filesystem::exists(no_reference.output)) << "a refused extraction left a dataset folder";
}

}  // namespace
}  // namespace wf::extract
