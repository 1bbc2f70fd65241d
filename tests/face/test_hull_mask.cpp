#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/hull_mask.h"

namespace wf::face {
namespace {

const std::vector<cv::Point2f> kSquare{{50, 50}, {150, 50}, {150, 150}, {50, 150}, {100, 100}};

TEST(HullMask, FillsTheHullAndStaysInsideIt) {
  const cv::Mat mask = hull_mask({200, 200}, kSquare, 0);
  EXPECT_EQ(mask.type(), CV_8UC1);
  EXPECT_EQ(mask.at<uchar>(100, 100), 255);
  EXPECT_EQ(mask.at<uchar>(20, 20), 0);
  EXPECT_NEAR(cv::countNonZero(mask), 100 * 100, 650);  // the 100 x 100 square, give or take its anti-aliased rim
}

TEST(HullMask, FeatherRampsInwardsMonotonically) {
  const float feather = 20;
  const cv::Mat mask = hull_mask({200, 200}, kSquare, feather);
  EXPECT_EQ(mask.at<uchar>(100, 100), 255);   // the middle is untouched
  EXPECT_EQ(mask.at<uchar>(100, 49), 0);      // nothing outside the hull
  EXPECT_LT(mask.at<uchar>(100, 51), 40);     // the edge is faint
  int previous = -1;
  for (int x = 48; x <= 100; ++x) {  // from outside to the centre along the middle row
    EXPECT_GE(int(mask.at<uchar>(100, x)), previous) << "x=" << x;
    previous = mask.at<uchar>(100, x);
  }
}

TEST(HullMask, TooFewPointsIsAnError) {
  EXPECT_THROW(hull_mask({10, 10}, {{1, 1}, {2, 2}}, 0), Error);
}

}  // namespace
}  // namespace wf::face
