// Source extraction on real faces: a clip made from Grace Hopper's portrait (moving, brightening, then
// frozen for two frames) plus the astronaut's photo as someone else.

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/json_io.h"
#include "core/utf8.h"
#include "dataset/imagefolder.h"
#include "extract/source_extraction.h"
#include "models/face_analysers.h"
#include "face/detector.h"
#include "media/image_io.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wf::extract {
namespace {

const std::filesystem::path kGrace = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg";
const std::filesystem::path kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

models::FaceAnalysers& analysers() {
  static models::FaceAnalysers loaded = models::load_face_analysers(core::AppConfig::defaults());
  return loaded;
}

// 12 frames at 10 fps: frames 0-9 move 3 px right and 2 px down each and brighten; 10 and 11 repeat frame 9.
std::filesystem::path make_clip(const test::TempDir& dir) {
  const cv::Mat photo = media::read_image(kGrace);
  const auto path = dir / "grace.mkv";
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 10.0, photo.size());
  cv::Mat frame;
  for (int i = 0; i < 12; ++i) {
    const int step = std::min(i, 9);
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 3 * step, 0, 1, 2 * step);
    cv::warpAffine(photo, frame, shift, photo.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    frame.convertTo(frame, -1, 1.0, 3 * step);
    writer.write(frame);
  }
  return path;
}

TEST(SourceExtraction, ClipAndPhotoBecomeADatasetAndAnIdentity) {
  test::TempDir dir;
  SourceOptions options;
  options.inputs = {make_clip(dir), kAstronaut};
  options.output = dir / "source";
  const SourceSummary summary = extract_source(options, analysers());
  EXPECT_EQ(summary.frames, 13);
  EXPECT_EQ(summary.duplicates, 2);  // the frozen frames
  EXPECT_EQ(summary.without_face, 0);
  EXPECT_EQ(summary.faces, 11);
  EXPECT_EQ(summary.outliers, std::vector<std::string>{"astronaut_000000"});  // not the person of the clip
  EXPECT_EQ(summary.identity.size(), 256u);

  EXPECT_TRUE(dataset::validate_dataset(options.output).empty());
  const auto records = dataset::read_records(options.output);
  ASSERT_EQ(records.size(), 11u);
  for (const auto& record : records) {
    ASSERT_EQ(record.landmarks_478.size(), 478u) << record.id;
    // Landmarks are in the crop's pixels, where alignment puts the eyes on the FFHQ template.
    EXPECT_LT(cv::norm(record.keypoints_5[0] - cv::Point2f(0.3769f * 512, 0.4686f * 512)), 6.0) << record.id;
    EXPECT_LT(cv::norm(record.keypoints_5[1] - cv::Point2f(0.6229f * 512, 0.4691f * 512)), 6.0) << record.id;
    if (record.id != "astronaut_000000") {
      EXPECT_GT(face::cosine_similarity(record.embedding, summary.identity), 0.8f) << record.id;
    }
  }
  EXPECT_EQ(records[3].frame_index, 3);
  EXPECT_NEAR(records[3].timestamp, 0.3, 1e-9);
  EXPECT_NEAR(records[9].bbox.x - records[0].bbox.x, 27.0, 6.0);  // the clip moved 3 px a frame for 9 frames

  const auto check = test::run_command({"/usr/bin/python3", WF_DATASET_CHECK, options.output.string()});
  EXPECT_EQ(check.status, 0) << check.output;

  // Running again resumes: nothing is redone or added.
  const std::string metadata = test::read_text(options.output / "metadata.jsonl");
  const SourceSummary again = extract_source(options, analysers());
  EXPECT_EQ(again.faces, 11);
  EXPECT_EQ(again.duplicates, 2);
  EXPECT_TRUE(test::read_text(options.output / "metadata.jsonl") == metadata);
}

TEST(SourceExtraction, AReferencePhotoPicksThePersonInAGroup) {
  test::TempDir dir;
  const auto group = core::AppConfig::defaults().assets_dir / "@vladmandic/face-api/demo/sample3.jpg";
  // The woman on the right, cut from the group photo, mirrored and brightened.
  cv::Mat reference = media::read_image(group)(cv::Rect(1380, 240, 420, 420)).clone();
  cv::flip(reference, reference, 1);
  reference.convertTo(reference, -1, 1.0, 20);
  media::write_image(dir / "reference.png", reference);

  SourceOptions options;
  options.inputs = {group, dir / "gray.png"};
  media::write_image(dir / "gray.png", cv::Mat(200, 200, CV_8UC3, cv::Scalar::all(128)));
  options.output = dir / "source";
  options.reference = dir / "reference.png";
  const SourceSummary summary = extract_source(options, analysers());
  EXPECT_EQ(summary.without_face, 1);  // the grey picture
  const auto records = dataset::read_records(options.output);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_GE(face::box_iou(records[0].bbox, cv::Rect2f(1480, 341, 223, 223)), 0.4f) << records[0].bbox;
}

// A file system allows any bytes in a name; JSON holds only UTF-8. A Latin-1 "caf\xe9.jpg" is extracted, its
// name shown with U+FFFD in the dataset, and the dataset loads (here, in Python's standard library too).
TEST(SourceExtraction, APhotoWhoseNameIsNotUtf8BecomesADatasetThatLoads) {
  test::TempDir dir;
  const auto photo = dir / "caf\xe9.jpg";
  std::filesystem::copy_file(kGrace, photo);
  SourceOptions options;
  options.inputs = {dir.path()};  // found by listing the folder, as the pipeline does
  options.output = dir / "source";
  const SourceSummary summary = extract_source(options, analysers());
  EXPECT_EQ(summary.faces, 1);
  EXPECT_TRUE(summary.unreadable.empty());
  EXPECT_TRUE(dataset::validate_dataset(options.output).empty());
  const auto records = dataset::read_records(options.output);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].source, "caf\xEF\xBF\xBD.jpg");
  EXPECT_EQ(records[0].id, "caf\xEF\xBF\xBD_000000");
  EXPECT_TRUE(core::is_utf8(test::read_text(options.output / "metadata.jsonl")));
  EXPECT_EQ(media::read_image(options.output / records[0].file_name()).size(), cv::Size(512, 512));
  EXPECT_NO_THROW(core::read_json_file(options.output / "identity.json"));
  EXPECT_EQ(test::run_command({"/usr/bin/python3", WF_DATASET_CHECK, options.output.string()}).status, 0);
  // Run again: the face is found done, not added twice.
  EXPECT_EQ(extract_source(options, analysers()).faces, 1);
}

}  // namespace
}  // namespace wf::extract
