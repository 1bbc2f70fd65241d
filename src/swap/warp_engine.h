#pragma once
// The offline engine: needs no downloaded weights, so the whole wizard works on a fresh machine. The source face
// whose pose is closest to the target's is warped onto the target's landmarks triangle by triangle (Delaunay
// triangulation of the 478-point mesh, or of the 68 points), recoloured to the target's light, and blended in
// with Poisson (seamless) cloning, DeepFaceLab-merger style; the target's mouth interior and eyes are kept where
// its expression differs from the source's (target_expression.h).

#include <memory>

#include "swap/colour_match.h"
#include "swap/source_faces.h"
#include "swap/swap_engine.h"
#include "swap/swap_engines.h"

namespace wf::swap {

// Defaults and ranges are options/swap_options.h's (swap::swap_options_of fills these).
struct WarpOptions {
  int landmarks{};  // 478 (the mesh, when both faces have it) or 68
  ColourMode colour{};
  bool seamless{};         // Poisson cloning; false: the recoloured warp as it is
  bool keep_expression{};  // the target's mouth interior and differing eyes kept (target_expression.h)
};

class WarpEngine final : public SwapEngine {
 public:
  WarpEngine(const SourceFaces& source, WarpOptions options);
  SwappedFace swap(const SwapFace& face) override;

 private:
  const SourceFaces& source_;
  WarpOptions options_;
  double typical_eye_opening_ = 0;  // the source faces' median
};

// The index of the source face whose 68 landmarks, in crop-relative units, are closest to `target_68`
// (crop pixels of a crop `crop_size` wide): the source face seen from the nearest angle.
std::size_t closest_pose(const SourceFaces& source, const std::vector<cv::Point2f>& target_68, int crop_size);

// `image` warped piecewise-affinely so that `from` points land on `to` (both in output pixels), over the
// Delaunay triangles of `to`; `coverage` gets 255 where a triangle was drawn.
cv::Mat warp_triangles(const cv::Mat& image, const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to,
                       cv::Size size, cv::Mat& coverage);

// Its row in swap_engines.cpp: review's steps (as swapped, which undoes damage done after the swap since the
// engine is deterministic; the source's expression; the other colour mode; a grown mask; the 68-point warp instead of
// the mesh; no colour matching; no Poisson blending).
void warp_repairs(RepairLadder& ladder);

}  // namespace wf::swap
