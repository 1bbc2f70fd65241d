// The ONNX embedder's plumbing (RGB order, [-1, 1] scaling, NCHW, L2 norm) against PyTorch on a small
// ArcFace-shaped model exported by Debian's python3-torch (tests/face/make_tiny_arcface.py).

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "face/embedder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wf::face {
namespace {

TEST(OnnxEmbedder, MatchesPyTorchOnTheSameCrop) {
  test::TempDir dir;
  const auto made = test::run_command({"/usr/bin/python3", WF_TESTS_DIR "/make_tiny_arcface.py", dir.path().string()});
  ASSERT_EQ(made.status, 0) << made.output;
  const auto embedder = make_onnx_embedder(dir / "model.onnx");
  EXPECT_EQ(embedder->dimension(), 512);
  EXPECT_EQ(embedder->input_size(), 112);

  cv::Mat crop(112, 112, CV_8UC3);
  for (int y = 0; y < 112; ++y) {
    for (int x = 0; x < 112; ++x) crop.at<cv::Vec3b>(y, x) = {uchar(2 * x), uchar(2 * y), uchar(x + y)};  // BGR
  }
  const std::vector<float> actual = embedder->embed_aligned(crop);
  std::ifstream in(dir / "expected.txt");
  std::vector<float> expected;
  for (float v; in >> v;) expected.push_back(v);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-4) << i;
  EXPECT_NEAR(cosine_similarity(actual, expected), 1.f, 1e-5);
}

TEST(OnnxEmbedder, MissingAndDamagedFilesSaySo) {
  test::TempDir dir;
  try {
    make_onnx_embedder(dir / "w600k_r50.onnx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::missing_model);
  }
  test::write_text(dir / "broken.onnx", "not a protobuf");
  try {
    make_onnx_embedder(dir / "broken.onnx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_EQ(e.path(), dir / "broken.onnx");
  }
}

}  // namespace
}  // namespace wf::face
