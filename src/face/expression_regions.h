#pragma once
// The parts of a face that carry its expression rather than its identity — the mouth's interior (teeth, tongue,
// the dark opening inside the inner lip contour) and the eyes (lids, sclera, iris) — located from the 478-point
// mesh (MediaPipe's topology) or, without one, the 68 points (iBUG 300-W). A swap keeps the target's where the
// source's differ; the evaluation measures them by appearance.

#include <array>
#include <opencv2/core/mat.hpp>
#include <vector>

namespace wf::face {

// The points of a face as the regions take them: 478 (x, y of the mesh) or 68; anything else has no regions.
struct ExpressionRegions {
  // Closed polygons, each starting at a corner and half-way round at the other.
  std::vector<cv::Point2f> inner_mouth;          // the inner lip contour
  std::array<std::vector<cv::Point2f>, 2> eyes;  // each eye's lid contour (image-left eye first)

  bool empty() const { return inner_mouth.empty(); }
  // Corner to corner.
  double mouth_width() const;
  double eye_width(std::size_t eye) const;
  // The lips' gap at their middle over the mouth's width: 0 closed, about 0.5 wide open.
  double mouth_opening() const;
  // The lids' gap at the middle over the eye's width: about 0.3 open, under 0.1 closed.
  double eye_opening(std::size_t eye) const;
  // Both eyes' mean opening.
  double eyes_opening() const { return (eye_opening(0) + eye_opening(1)) / 2; }
  // Where an eye is whether it is open or shut: an ellipse between its corners, 0.45 of its width high. What is
  // inside looks like sclera and iris when it is open, skin and a lash line when it is closed.
  std::vector<cv::Point2f> eye_window(std::size_t eye) const;
};

ExpressionRegions expression_regions(const std::vector<cv::Point2f>& points);
// A face's points as the regions take them: the mesh's x and y when it has one, else the 68.
std::vector<cv::Point2f> expression_points(const std::vector<cv::Point3f>& mesh,
                                           const std::vector<cv::Point2f>& points_68);

// 8-bit mask of `size`: 255 inside `polygon` grown by `grow` pixels (0: the polygon itself).
cv::Mat polygon_mask(cv::Size size, const std::vector<cv::Point2f>& polygon, int grow);

// How much a region's look varies: the standard deviation of the grey levels inside `polygon` (teeth and the dark
// opening of an open mouth, sclera and iris of an open eye give a wide spread; lips or a closed lid a narrow one).
// 0 for a polygon covering no pixel.
double grey_spread(const cv::Mat& image, const std::vector<cv::Point2f>& polygon);

}  // namespace wf::face
