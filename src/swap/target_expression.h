#pragma once
// The target's expression kept through a swap that carries the source's: the mouth's interior (teeth, tongue, the
// opening) whenever the target's mouth is open or the source's differs, and the eyes with their lids whenever they
// are open a clearly different share of their usual opening than the source's (a blink, a squint, a wide stare),
// feathered into the swapped skin. Eyes are compared against each face's own usual opening because eye shapes
// differ between people and landmark models see a blink as a narrowing, not a closing.

#include <opencv2/core/mat.hpp>
#include <vector>

namespace wf::swap {

struct ExpressionFace {
  std::vector<cv::Point2f> points;  // 478 mesh points (x, y) or 68, in the swapped crop's pixels
  double relative_eye_opening = 1;  // the eyes' opening over their usual opening (the track's or the dataset's)
};

// `swapped` (the target's crop with the source's face in it) gets the target's pixels back in those regions.
// `source` has the source face's points as they were before the warp, of the same kind as the target's. Returns
// the mask of what it put back.
cv::Mat keep_target_expression(cv::Mat& swapped, const cv::Mat& target_crop, const ExpressionFace& target,
                               const ExpressionFace& source);

}  // namespace wf::swap
