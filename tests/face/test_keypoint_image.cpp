// InstantID's keypoint drawing: dots in each keypoint's colour (RGB), limbs from the nose at 60% of the first
// keypoint's colour, black elsewhere.

#include <gtest/gtest.h>

#include "face/keypoint_image.h"

namespace wf::face {
namespace {

cv::Vec3b at(const cv::Mat& image, cv::Point2f p) { return image.at<cv::Vec3b>(static_cast<int>(p.y), static_cast<int>(p.x)); }

TEST(KeypointImage, DrawsInstantIDsDotsAndLimbs) {
  const std::array<cv::Point2f, 5> kps{cv::Point2f(180, 230), cv::Point2f(330, 228), cv::Point2f(256, 300),
                                       cv::Point2f(195, 380), cv::Point2f(318, 382)};
  const cv::Mat image = draw_keypoints_5({512, 512}, kps);
  ASSERT_EQ(image.size(), cv::Size(512, 512));
  ASSERT_EQ(image.type(), CV_8UC3);
  const std::array<cv::Vec3b, 5> dots{cv::Vec3b(255, 0, 0), cv::Vec3b(0, 255, 0), cv::Vec3b(0, 0, 255),
                                      cv::Vec3b(255, 255, 0), cv::Vec3b(255, 0, 255)};
  for (std::size_t i = 0; i < kps.size(); ++i) EXPECT_EQ(at(image, kps[i]), dots[i]) << i;
  // Half-way along each limb (away from the dots): the limb's colour at 60%.
  EXPECT_EQ(at(image, (kps[0] + kps[2]) * 0.5f), cv::Vec3b(153, 0, 0));
  EXPECT_EQ(at(image, (kps[1] + kps[2]) * 0.5f), cv::Vec3b(0, 153, 0));
  EXPECT_EQ(at(image, (kps[3] + kps[2]) * 0.5f), cv::Vec3b(153, 153, 0));
  EXPECT_EQ(at(image, (kps[4] + kps[2]) * 0.5f), cv::Vec3b(153, 0, 153));
  EXPECT_EQ(at(image, {20, 20}), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(at(image, {256, 200}), cv::Vec3b(0, 0, 0));  // between the eyes: no limb joins them
  // The limbs are thin (4 px half-width): 30 px beside the nose-to-eye limb is black.
  EXPECT_EQ(at(image, (kps[0] + kps[2]) * 0.5f + cv::Point2f(20, -22)), cv::Vec3b(0, 0, 0));
}

}  // namespace
}  // namespace wf::face
