#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "dataset/preview_grid.h"
#include "media/image_io.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wf::dataset {
namespace {

FaceRecord record(int i, bool with_mask) {
  FaceRecord r;
  r.id = "face_" + std::to_string(i);
  r.source = "clip.mp4";
  r.frame_index = 10 * i;
  r.timestamp = i / 3.0;
  r.bbox = {10.f + i, 20.f, 100.f, 120.5f};
  r.score = 0.9f;
  for (std::size_t k = 0; k < 5; ++k) r.keypoints_5[k] = {float(k), float(i)};
  r.landmarks_68.assign(68, cv::Point2f(1.5f, 2.5f));
  if (i % 2 == 0) r.landmarks_478.assign(478, cv::Point3f(1, 2, -3));
  r.embedding = {0.6f, -0.8f, 0.0f};
  if (with_mask) r.mask_origin = MaskOrigin::hull;
  r.arcface_crop = i % 2 == 1;
  if (i % 2 == 1) r.crop_matrix = cv::Matx23f(2.5f, 0.1f, -30.f, -0.1f, 2.5f, 12.25f);
  if (i % 2 == 0) r.text = "a photo of face " + std::to_string(i) + ", \"quoted\"";
  return r;
}

DatasetCard card(const std::string& kind) {
  DatasetCard made;
  made.kind = kind;
  return made;
}

cv::Mat face_image(int i) { return cv::Mat(64, 64, CV_8UC3, cv::Scalar(i * 10, 100, 200)); }
cv::Mat mask_image() { return cv::Mat(64, 64, CV_8UC1, cv::Scalar(255)); }

void write_faces(DatasetWriter& writer, int from, int to) {
  for (int i = from; i < to; ++i) {
    if (writer.contains("face_" + std::to_string(i))) continue;
    const bool masked = i % 3 == 0;
    writer.add(record(i, masked), {face_image(i), masked ? mask_image() : cv::Mat(), i % 2 == 1 ? face_image(i) : cv::Mat()});
  }
}

TEST(ImageFolder, RecordsRoundTripEveryField) {
  test::TempDir dir;
  DatasetWriter writer(dir / "ds", [] {
    auto c = card("target");
    c.models["face_detector"] = "blazeface";
    c.video = VideoReference{"/videos/clip.mp4", 123456, 1280, 720, 29.97, {40, 95}};
    return c;
  }());
  write_faces(writer, 0, 4);
  writer.finish();
  const auto records = read_records(dir / "ds");
  ASSERT_EQ(records.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const FaceRecord expected = record(i, i % 3 == 0);
    EXPECT_EQ(records[i].to_json(), expected.to_json()) << i;
  }
  const DatasetCard written = read_card(dir / "ds");
  EXPECT_EQ(written.images, 4);
  EXPECT_EQ(written.masks, 2);
  EXPECT_EQ(written.models.at("face_detector"), "blazeface");
  ASSERT_TRUE(written.video);
  EXPECT_EQ(written.video->path, "/videos/clip.mp4");
  EXPECT_EQ(written.video->bytes, 123456u);
  EXPECT_EQ(written.video->fps, 29.97);
  EXPECT_EQ(written.video->cuts, (std::vector<std::int64_t>{40, 95}));
  EXPECT_TRUE(validate_dataset(dir / "ds").empty());
}

TEST(ImageFolder, InterruptedWritingResumesToTheSameDataset) {
  test::TempDir dir;
  {
    DatasetWriter whole(dir / "whole", card("source"));
    write_faces(whole, 0, 10);
    whole.finish();
  }
  {
    DatasetWriter first(dir / "resumed", card("source"));
    write_faces(first, 0, 6);
    // The process dies here: no dataset.json, and half a metadata line from a write cut short.
  }
  std::ofstream(dir / "resumed/metadata.jsonl", std::ios::app) << R"({"id": "face_6", "file_na)";
  EXPECT_FALSE(validate_dataset(dir / "resumed").empty());  // unfinished: no card
  {
    DatasetWriter second(dir / "resumed", card("source"));
    EXPECT_EQ(second.size(), 6u);
    write_faces(second, 0, 10);
    second.finish();
  }
  EXPECT_EQ(test::read_text(dir / "resumed/metadata.jsonl"), test::read_text(dir / "whole/metadata.jsonl"));
  EXPECT_EQ(test::read_text(dir / "resumed/dataset.json"), test::read_text(dir / "whole/dataset.json"));
  EXPECT_TRUE(validate_dataset(dir / "resumed").empty());
}

TEST(ImageFolder, ValidatorNamesEveryProblem) {
  test::TempDir dir;
  DatasetWriter writer(dir / "ds", card("target"));
  write_faces(writer, 0, 4);
  writer.finish();
  std::filesystem::remove(dir / "ds/images/face_1.png");
  test::write_text(dir / "ds/masks/face_3.png", "not a png");
  std::filesystem::remove(dir / "ds/arcface/face_3.png");
  const auto problems = validate_dataset(dir / "ds");
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("images/face_1.png"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("masks/face_3.png"), std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("arcface/face_3.png"), std::string::npos) << problems[2];
}

TEST(ImageFolder, ValidatorNamesAMaskOfAnotherSizeThanItsFace) {
  test::TempDir dir;
  DatasetWriter writer(dir / "ds", card("target"));
  write_faces(writer, 0, 2);
  writer.finish();
  media::write_image(dir / "ds/masks/face_0.png", cv::Mat(32, 48, CV_8UC1, cv::Scalar(255)));
  const auto problems = validate_dataset(dir / "ds");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("masks/face_0.png: the mask is 48x32, its face 64x64"), std::string::npos) << problems[0];
}

TEST(ImageFolder, DamagedMetadataLineIsReportedWithItsNumber) {
  test::TempDir dir;
  DatasetWriter writer(dir / "ds", card("target"));
  write_faces(writer, 0, 2);
  writer.finish();
  auto lines = test::read_text(dir / "ds/metadata.jsonl");
  lines.replace(lines.find("\"landmarks_68\""), 14, "\"landmarks_00\"");
  test::write_text(dir / "ds/metadata.jsonl", lines);
  try {
    read_records(dir / "ds");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_NE(e.message().find("line 1"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("landmarks_68"), std::string::npos) << e.message();
  }
  EXPECT_THROW(DatasetWriter(dir / "ds", card("target")), Error);  // will not append to a damaged dataset
}

TEST(PreviewGrid, ShowsEveryFaceInOrderWithAScoreStrip) {
  test::TempDir dir;
  DatasetWriter writer(dir / "ds", card("source"));
  write_faces(writer, 0, 5);
  writer.finish();
  const cv::Mat grid = make_preview_grid(dir / "ds", {.columns = 3, .cell = 32});
  ASSERT_EQ(grid.size(), cv::Size(3 * 32, 2 * (32 + 20)));
  for (int i = 0; i < 5; ++i) {
    const cv::Rect cell((i % 3) * 32, (i / 3) * 52, 32, 32);
    EXPECT_NEAR(cv::mean(grid(cell))[0], 10.0 * i, 1.0) << "face " << i;  // face i's own colour
    const cv::Rect strip(cell.x, cell.y + 32, 32, 20);
    EXPECT_GT(cv::mean(grid(strip))[1], 32.0) << "face " << i;  // a label was drawn
  }
  EXPECT_EQ(cv::mean(grid(cv::Rect(2 * 32, 52, 32, 32)))[0], 32.0);  // the unused sixth cell stays empty
}

TEST(ImageFolder, PythonStandardLibraryReadsTheFormat) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no python3";
  test::TempDir dir;
  DatasetWriter writer(dir / "ds", card("source"));
  write_faces(writer, 0, 5);
  writer.finish();
  const auto ok = test::run_command({"/usr/bin/python3", WF_TESTS_DIR "/check_imagefolder.py", (dir / "ds").string()});
  EXPECT_EQ(ok.status, 0) << ok.output;
  std::filesystem::remove(dir / "ds/images/face_2.png");
  const auto bad = test::run_command({"/usr/bin/python3", WF_TESTS_DIR "/check_imagefolder.py", (dir / "ds").string()});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.output.find("images/face_2.png is missing"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace wf::dataset
