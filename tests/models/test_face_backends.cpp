#include <gtest/gtest.h>

#include "core/error.h"
#include "isolated_config.h"
#include "media/image_io.h"
#include "models/face_backends.h"

namespace wf::models {
namespace {

TEST(FaceBackends, InstalledModelsAnalyseAPortrait) {
  const core::AppConfig config = core::AppConfig::defaults();
  auto detector = make_face_detector(config);
  const cv::Mat image = media::read_image("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg");
  const auto faces = detector->detect(image);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GT(faces[0].score, 0.7f);
  const auto mesh = make_landmarker_478(config).landmarks(image, faces[0].box);
  ASSERT_TRUE(mesh);
  const auto keypoints = face::keypoints_from_478(mesh->points);
  const auto embedding = make_face_embedder(config)->embed(image, keypoints);
  EXPECT_EQ(embedding.size(), 256u);
  const auto k68 = face::keypoints_from_68(make_landmarker_68(config).landmarks(image, faces[0].box));
  // Both models put the nose tip in the same place (their definitions differ by about a tenth of the eye distance).
  EXPECT_LT(cv::norm(k68[2] - keypoints[2]), 0.2 * cv::norm(keypoints[1] - keypoints[0]));
}

TEST(FaceBackends, WithoutPackagesDetectionFallsBackAndOtherRolesSayWhatIsMissing) {
  test::TempDir dir;
  const core::AppConfig config = test::isolated_config(dir);
  auto detector = make_face_detector(config);  // dlib HOG needs no file
  EXPECT_EQ(detector->detect(media::read_image("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg")).size(), 1u);
  try {
    make_landmarker_478(config);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::missing_model);
    EXPECT_NE(e.hint().find("watserface doctor"), std::string::npos);
    EXPECT_NE(e.path().string().find("facemesh"), std::string::npos);
  }
  EXPECT_THROW(make_face_embedder(config), Error);
  EXPECT_THROW(make_landmarker_68(config), Error);
}

}  // namespace
}  // namespace wf::models
