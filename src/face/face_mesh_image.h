#pragma once
// A denser control image than InstantID's five keypoints: the contours of MediaPipe's 478-point face mesh
// (face oval, eyebrows, eyes, irises, outer and inner lips) drawn as coloured lines on black, as ControlNet's
// MediaPipe face annotator draws them. A user option for the IdentityNet; the same drawing is made from the
// target frames for the swap.

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>
#include <vector>

namespace wf::face {

// `landmarks`: the 478 mesh points in the pixels of an image of `size` (z ignored). Returns 8-bit RGB.
cv::Mat draw_face_mesh(cv::Size size, const std::vector<cv::Point3f>& landmarks);

// The mesh's contour loops by name, in MediaPipe's index order (exposed for tests).
struct MeshContour {
  const char* name;
  std::vector<int> indices;
  bool closed;
};
const std::vector<MeshContour>& face_mesh_contours();

}  // namespace wf::face
