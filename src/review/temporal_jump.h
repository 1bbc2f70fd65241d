#pragma once
// A temporal glitch: the output face moving in a way the tracked face did not. Per landmark, the output face's
// offset from the track (where the swap placed it) is compared with the median offset over the neighbouring
// frames; the mean distance, in face widths, is the frame's jump. The median keeps one glitched neighbour from
// making its neighbours look glitched too, and real head motion cancels out because the track moves with it.

#include <cstdint>
#include <map>
#include <opencv2/core/types.hpp>
#include <vector>

namespace wf::review {

inline constexpr std::int64_t kJumpNeighbours = 3;    // frames each side
inline constexpr std::size_t kMinJumpNeighbours = 3;  // fewer: no median that one glitched neighbour cannot move

struct TrackedFace {
  std::vector<cv::Point2f> output;  // the output face's 68 landmarks (empty when none was found)
  std::vector<cv::Point2f> track;   // the tracked face's 68
  float face_width = 0;             // the tracked box's width
};

// The jump of `face` at frame `index` against the faces in `frames` within kJumpNeighbours of it and in its shot
// (`cuts`: the frames that start one, in order; itself and frames without a found face left out); 0 with fewer
// than kMinJumpNeighbours.
double jump_of(const TrackedFace& face, std::int64_t index, const std::map<std::int64_t, TrackedFace>& frames,
               const std::vector<std::int64_t>& cuts = {});

}  // namespace wf::review
