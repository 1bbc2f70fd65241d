// Landmark smoothing and face tracking over frames.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "face/landmark_smoothing.h"
#include "face/tracker.h"

namespace wf::face {
namespace {

TEST(OneEuro, RemovesJitterOfAStillPointAndFollowsAMove) {
  std::mt19937 random(3);
  std::normal_distribution<double> noise(0.0, 1.5);  // pixels of detector jitter
  OneEuroFilter filter({.min_cutoff = 1.0, .beta = 0.05, .d_cutoff = 1.0});
  double raw_error = 0;
  double filtered_error = 0;
  for (int frame = 0; frame < 300; ++frame) {
    const double measured = 100.0 + noise(random);
    const double value = filter.filter(measured, frame / 30.0);
    if (frame >= 30) {
      raw_error += std::abs(measured - 100.0);
      filtered_error += std::abs(value - 100.0);
    }
  }
  EXPECT_LT(filtered_error * 2, raw_error);  // jitter at least halved (2.5x with these settings)

  // A head turn: the point moves 200 px in a third of a second; the filter is within 5 px soon after.
  double value = 0;
  for (int frame = 0; frame <= 20; ++frame) {
    const double truth = 100.0 + std::min(frame, 10) * 20.0;
    value = filter.filter(truth, 10.0 + frame / 30.0);
  }
  EXPECT_NEAR(value, 300.0, 5.0);
}

TEST(LandmarkSmoother, SmoothsEveryCoordinateAndRestartsOnANewLayout) {
  LandmarkSmoother smoother;
  const auto first = smoother.smooth({{10, 10}, {20, 20}}, 0.0);
  EXPECT_EQ(first[1], cv::Point2f(20, 20));
  const auto second = smoother.smooth({{12, 10}, {20, 24}}, 1 / 30.0);
  EXPECT_GT(second[0].x, 10.f);
  EXPECT_LT(second[0].x, 12.f);
  EXPECT_LT(second[1].y, 24.f);
  EXPECT_EQ(smoother.smooth({{5, 5}}, 2 / 30.0)[0], cv::Point2f(5, 5));
}

Detection at(float x, float y) { return {cv::Rect2f(x, y, 100, 100), 0.9f, std::nullopt}; }

TEST(FaceTracker, IdsFollowFacesWhateverTheDetectionOrder) {
  FaceTracker tracker;
  const auto first = tracker.update({at(0, 0), at(500, 0)});
  EXPECT_EQ(first, (std::vector<int>{1, 2}));
  for (int frame = 1; frame < 20; ++frame) {
    const float step = frame * 5.f;
    const auto ids = tracker.update({at(500 - step, 0), at(step, 0)});  // reversed order, both moving
    EXPECT_EQ(ids, (std::vector<int>{2, 1})) << "frame " << frame;
  }
}

TEST(FaceTracker, EmbeddingsKeepIdentitiesWhenFacesCross) {
  FaceTracker tracker;
  const std::vector<float> anna{1, 0, 0}, ben{0, 1, 0};
  tracker.update({at(0, 0), at(300, 0)}, {anna, ben});
  for (int frame = 1; frame <= 30; ++frame) {
    const float a = frame * 10.f;  // anna walks right, ben walks left; they pass at frame 15
    const auto ids = tracker.update({at(300 - a, 0), at(a, 0)}, {ben, anna});
    EXPECT_EQ(ids, (std::vector<int>{2, 1})) << "frame " << frame;
  }
}

TEST(FaceTracker, AFaceThatStaysInPlaceKeepsItsTrackThroughABlinkButNotThroughAnotherPerson) {
  const std::vector<float> open{1, 0, 0};
  const std::vector<float> blinking{0.3f, std::sqrt(1 - 0.09f), 0};  // cosine 0.3 to the open face
  const std::vector<float> stranger{0.1f, 0, std::sqrt(1 - 0.01f)};  // cosine 0.1
  FaceTracker tracker;
  EXPECT_EQ(tracker.update({at(0, 0)}, {open}), std::vector<int>{1});
  EXPECT_EQ(tracker.update({at(2, 0)}, {blinking}), std::vector<int>{1}) << "in place, a blink is the same face";
  EXPECT_EQ(tracker.update({at(4, 0)}, {stranger}), std::vector<int>{2}) << "in place, but someone else";
  FaceTracker moved;
  moved.update({at(0, 0)}, {open});
  EXPECT_EQ(moved.update({at(40, 0)}, {blinking}), std::vector<int>{2}) << "moved and changed: not linked";
}

TEST(FaceTracker, AShortGapKeepsTheIdALongOneStartsANewTrack) {
  FaceTracker tracker({.min_iou = 0.3f, .min_similarity = 0.5f, .max_missed = 5});
  EXPECT_EQ(tracker.update({at(0, 0)}), std::vector<int>{1});
  for (int frame = 0; frame < 4; ++frame) tracker.update({});
  EXPECT_EQ(tracker.update({at(5, 0)}), std::vector<int>{1});
  for (int frame = 0; frame < 6; ++frame) tracker.update({});
  EXPECT_EQ(tracker.update({at(5, 0)}), std::vector<int>{2});
}

}  // namespace
}  // namespace wf::face
