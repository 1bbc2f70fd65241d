// Review's pieces without media: the temporal jump on made-up tracks, the flags and margins, the repair ladders.

#include <gtest/gtest.h>

#include <cmath>

#include "review/frame_score.h"
#include "swap/repair_ladder.h"
#include "review/temporal_jump.h"

namespace wf::review {
namespace {

// A face 100 px wide moving right 6 px a frame, its output landmarks 2 px off the track (a detector's bias).
std::map<std::int64_t, TrackedFace> moving_face(int frames) {
  std::map<std::int64_t, TrackedFace> faces;
  for (int t = 0; t < frames; ++t) {
    TrackedFace face;
    face.face_width = 100;
    for (int k = 0; k < 68; ++k) {
      const cv::Point2f p(static_cast<float>(200 + 6 * t + (k % 10) * 8), static_cast<float>(150 + (k / 10) * 9));
      face.track.push_back(p);
      face.output.push_back(p + cv::Point2f(2, -1));
    }
    faces.emplace(t, face);
  }
  return faces;
}

TEST(TemporalJump, MotionTheTrackMadeIsNoJumpAndOneShiftedFrameIsTheOnlyOneThatJumps) {
  auto faces = moving_face(10);
  for (const auto& [t, face] : faces) EXPECT_NEAR(jump_of(face, t, faces), 0, 1e-6) << t;
  for (auto& p : faces.at(5).output) p += cv::Point2f(20, 0);  // 0.2 face widths off in frame 5
  EXPECT_NEAR(jump_of(faces.at(5), 5, faces), 0.2, 1e-5);
  for (const int t : {2, 3, 4, 6, 7, 8}) EXPECT_NEAR(jump_of(faces.at(t), t, faces), 0, 1e-6) << t;
  // The same shift the other way.
  for (auto& p : faces.at(5).output) p -= cv::Point2f(40, 0);
  EXPECT_NEAR(jump_of(faces.at(5), 5, faces), 0.2, 1e-5);
  for (const int t : {2, 3, 4, 6, 7, 8}) EXPECT_NEAR(jump_of(faces.at(t), t, faces), 0, 1e-6) << t;
  // A lost face is no neighbour; with fewer than three neighbours nothing is measured (two have no median that
  // one glitched neighbour cannot move).
  faces.at(4).output.clear();
  EXPECT_NEAR(jump_of(faces.at(5), 5, faces), 0.2, 1e-5);
  const std::map<std::int64_t, TrackedFace> three{{0, faces.at(0)}, {1, faces.at(5)}, {2, faces.at(2)}};
  EXPECT_EQ(jump_of(faces.at(0), 0, three), 0);
}

TEST(TemporalJump, ANewShotIsJudgedOnItsOwnNotAgainstTheShotBefore) {
  auto faces = moving_face(12);
  // From frame 6 the film cuts to another shot, where the swap sits 0.3 face widths further right all along.
  for (int t = 6; t < 12; ++t) {
    for (auto& p : faces.at(t).output) p += cv::Point2f(30, 0);
  }
  const std::vector<std::int64_t> cuts{6};
  for (const int t : {4, 5, 6, 7}) {
    EXPECT_NEAR(jump_of(faces.at(t), t, faces, cuts), 0, 1e-6) << t;
  }
  EXPECT_GT(jump_of(faces.at(6), 6, faces), 0.1) << "without the cut, the new shot looks like a jump";
}

TEST(FrameScore, FlagsCarryTheirReasonsAndTheMarginRanksResults) {
  const ReviewThresholds thresholds;  // the PRD's 0.7 and 0.6
  EXPECT_EQ(flag_reasons(FrameScore{}, thresholds), std::vector<FlagReason>{FlagReason::no_face});
  const FrameScore good{.found = true, .confidence = 0.9, .similarity = 0.7, .jump = 0.01, .landmarks = {}};
  EXPECT_TRUE(flag_reasons(good, thresholds).empty());
  FrameScore weak = good;
  weak.confidence = 0.6;
  weak.jump = 0.3;
  EXPECT_EQ(flag_reasons(weak, thresholds), (std::vector<FlagReason>{FlagReason::low_confidence, FlagReason::jump}));
  EXPECT_GT(margin(good, thresholds), 0);
  EXPECT_LT(margin(weak, thresholds), 0);
  EXPECT_LT(margin(FrameScore{}, thresholds), margin(weak, thresholds));
  // No face ranks below any face, whatever the thresholds; a NaN fails its check.
  const ReviewThresholds loose{.min_confidence = 0, .min_similarity = -1, .max_jump = 0.01};
  FrameScore jumped = good;
  jumped.jump = 5;
  EXPECT_LT(margin(FrameScore{}, loose), margin(jumped, loose));
  FrameScore nan = good;
  nan.similarity = std::nan("");
  EXPECT_EQ(flag_reasons(nan, thresholds), std::vector<FlagReason>{FlagReason::low_similarity});
}

std::vector<std::string> names(const std::vector<swap::RepairStep>& ladder) {
  std::vector<std::string> out;
  for (const auto& step : ladder) out.push_back(step.name);
  return out;
}

TEST(RepairLadder, EachEngineGetsItsOwnAdjustmentsEachChangingOneSetting) {
  swap::SwapOptions offline = swap::default_swap_options();
  const auto warp = swap::repair_ladder(offline);
  EXPECT_EQ(names(warp),
            (std::vector<std::string>{"as swapped", "source's expression", "other colour mode", "grown mask",
                                      "68-point warp", "no colour matching", "no Poisson blending"}));
  EXPECT_FALSE(warp[1].options.warp.keep_expression);
  EXPECT_EQ(warp[2].options.warp.colour, swap::ColourMode::histogram);
  EXPECT_EQ(warp[4].options.warp.landmarks, 68);
  EXPECT_GT(warp[3].options.mask_grow, 0);
  EXPECT_EQ(warp[4].options.warp.colour, offline.warp.colour);  // one change per step
  EXPECT_TRUE(warp[4].options.warp.keep_expression);
  offline.warp.landmarks = 68;
  offline.warp.seamless = false;
  offline.warp.keep_expression = false;
  EXPECT_EQ(names(swap::repair_ladder(offline)).size(), 4u);  // nothing left to turn off

  swap::SwapOptions generative = swap::default_swap_options();
  generative.engine = swap::EngineKind::generative;
  const auto diffusion = swap::repair_ladder(generative);
  EXPECT_EQ(names(diffusion),
            (std::vector<std::string>{"new seed", "more steps", "stronger identity", "lower strength", "grown mask"}));
  EXPECT_NE(diffusion[0].options.generative.seed, generative.generative.seed);
  EXPECT_EQ(diffusion[1].options.generative.steps, 30);
  EXPECT_NEAR(diffusion[2].options.generative.identity_scale, 1.0, 1e-9);
  EXPECT_NEAR(diffusion[3].options.generative.strength, 0.85, 1e-9);
  EXPECT_EQ(diffusion[1].settings, (nlohmann::json{{"steps", 30}}));

  swap::SwapOptions onnx = swap::default_swap_options();
  onnx.engine = swap::EngineKind::onnx;
  onnx.mask_grow = 0.01;
  const auto classic = swap::repair_ladder(onnx);
  EXPECT_EQ(names(classic), (std::vector<std::string>{"as swapped", "grown mask", "shrunk mask"}));
  EXPECT_NEAR(classic[1].options.mask_grow, 0.04, 1e-9);
  EXPECT_NEAR(classic[2].options.mask_grow, -0.02, 1e-9);
}

}  // namespace
}  // namespace wf::review
