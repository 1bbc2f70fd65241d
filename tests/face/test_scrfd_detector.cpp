// SCRFD decoding (anchors, strides, distances, keypoints, letterbox scale, NMS) on an ONNX model with SCRFD's
// output layout and known values, exported by Debian's python3-torch (tests/face/make_tiny_scrfd.py).

#include <gtest/gtest.h>

#include "core/error.h"
#include "face/detector.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wf::face {
namespace {

TEST(ScrfdDetector, DecodesBoxesAndKeypointsWhereTheModelPutsThem) {
  test::TempDir dir;
  const auto made = test::run_command({"/usr/bin/python3", WF_TESTS_DIR "/make_tiny_scrfd.py", dir.path().string()});
  ASSERT_EQ(made.status, 0) << made.output;
  auto detector = make_scrfd_detector(dir / "scrfd.onnx", {.min_score = 0.5f, .min_face = 24.f, .nms_iou = 0.4f});

  // 1280x960 letterboxes at scale 0.5; the face sits at stride 16, cell (20, 10): centre (320, 160) in the
  // 640 input, box distances (3, 4, 3, 4) strides, so (544, 192) to (736, 448) in the image.
  const auto faces = detector->detect(cv::Mat(960, 1280, CV_8UC3, cv::Scalar(90, 90, 90)));
  ASSERT_EQ(faces.size(), 1u);  // the weaker overlapping stride-8 box is suppressed
  EXPECT_NEAR(faces[0].score, 0.9f, 1e-5);
  EXPECT_NEAR(faces[0].box.x, 544, 0.01);
  EXPECT_NEAR(faces[0].box.y, 192, 0.01);
  EXPECT_NEAR(faces[0].box.width, 192, 0.01);
  EXPECT_NEAR(faces[0].box.height, 256, 0.01);
  ASSERT_TRUE(faces[0].keypoints);
  const Keypoints5 expected{{{592, 288}, {688, 288}, {640, 336}, {608, 384}, {672, 384}}};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_LT(cv::norm((*faces[0].keypoints)[i] - expected[i]), 0.01) << i;
}

TEST(ScrfdDetector, MissingOrForeignModelsAreClearErrors) {
  test::TempDir dir;
  EXPECT_THROW(make_scrfd_detector(dir / "det_10g.onnx"), Error);
  test::write_text(dir / "det_10g.onnx", "garbage");
  try {
    make_scrfd_detector(dir / "det_10g.onnx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
  }
}

}  // namespace
}  // namespace wf::face
