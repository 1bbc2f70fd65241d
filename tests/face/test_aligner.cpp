#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "face/aligner.h"

namespace wf::face {
namespace {

TEST(Aligner, TemplatePointsMapOntoThemselvesAndBack) {
  // Keypoints of a face rotated by 20 degrees, scaled 3x and moved: alignment must undo exactly that.
  const Keypoints5 arcface{{{38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
                            {41.5493f, 92.3655f}, {70.7299f, 92.2041f}}};
  cv::Mat pose = cv::getRotationMatrix2D({56.f, 56.f}, 20.0, 3.0);
  pose.at<double>(0, 2) += 400;
  pose.at<double>(1, 2) += 250;
  Keypoints5 posed;
  for (std::size_t i = 0; i < 5; ++i) {
    const cv::Point2f p = arcface[i];
    posed[i] = {static_cast<float>(pose.at<double>(0, 0) * p.x + pose.at<double>(0, 1) * p.y + pose.at<double>(0, 2)),
                static_cast<float>(pose.at<double>(1, 0) * p.x + pose.at<double>(1, 1) * p.y + pose.at<double>(1, 2))};
  }
  const cv::Mat image(900, 900, CV_8UC3, cv::Scalar(10, 20, 30));
  const AlignedFace aligned = align_face(image, posed, AlignTemplate::arcface, 112);
  ASSERT_EQ(aligned.image.size(), cv::Size(112, 112));
  for (std::size_t i = 0; i < 5; ++i) {
    const cv::Point2f p = posed[i];
    const cv::Point2f q(static_cast<float>(aligned.matrix.at<double>(0, 0) * p.x + aligned.matrix.at<double>(0, 1) * p.y +
                                           aligned.matrix.at<double>(0, 2)),
                        static_cast<float>(aligned.matrix.at<double>(1, 0) * p.x + aligned.matrix.at<double>(1, 1) * p.y +
                                           aligned.matrix.at<double>(1, 2)));
    EXPECT_LT(cv::norm(q - arcface[i]), 0.05) << "keypoint " << i;
    const cv::Point2f back(static_cast<float>(aligned.inverse.at<double>(0, 0) * q.x + aligned.inverse.at<double>(0, 1) * q.y +
                                              aligned.inverse.at<double>(0, 2)),
                           static_cast<float>(aligned.inverse.at<double>(1, 0) * q.x + aligned.inverse.at<double>(1, 1) * q.y +
                                              aligned.inverse.at<double>(1, 2)));
    EXPECT_LT(cv::norm(back - p), 0.05) << "keypoint " << i;
  }
}

TEST(Aligner, FfhqTemplateScalesWithTheCrop) {
  const Keypoints5 points{{{100.f, 100.f}, {160.f, 100.f}, {130.f, 140.f}, {108.f, 170.f}, {152.f, 170.f}}};
  const cv::Mat m256 = alignment_matrix(points, AlignTemplate::ffhq, 256);
  const cv::Mat m512 = alignment_matrix(points, AlignTemplate::ffhq, 512);
  EXPECT_NEAR(m512.at<double>(0, 0), 2 * m256.at<double>(0, 0), 1e-6);
  EXPECT_NEAR(m512.at<double>(0, 2), 2 * m256.at<double>(0, 2), 1e-4);
}

TEST(Aligner, DegenerateKeypointsAreAnError) {
  const Keypoints5 same{{{5.f, 5.f}, {5.f, 5.f}, {5.f, 5.f}, {5.f, 5.f}, {5.f, 5.f}}};
  EXPECT_ANY_THROW(alignment_matrix(same, AlignTemplate::arcface, 112));
}

}  // namespace
}  // namespace wf::face
