#pragma once
// The image an IdentityNet is conditioned on, drawn from a face's points: InstantID's five keypoints
// (keypoint_image.h) or the 478-point mesh's contours (face_mesh_image.h). Training draws it from a dataset's
// crops, the swap from the target's frames.

#include <ATen/core/Tensor.h>

#include <array>
#include <opencv2/core/types.hpp>
#include <string_view>
#include <vector>

namespace wf::face {

enum class ControlImage { keypoints_5, face_mesh };
std::string_view to_string(ControlImage control);
ControlImage parse_control_image(std::string_view text);  // "keypoints_5" | "face_mesh"; else invalid_input

// [3, R, R] RGB in [0, 1], from points in crop pixels scaled by `scale` to the R-pixel control (the mesh needs 478
// landmarks).
at::Tensor draw_control_image(ControlImage control, int resolution, float scale,
                              const std::array<cv::Point2f, 5>& keypoints,
                              const std::vector<cv::Point3f>& landmarks_478);

}  // namespace wf::face
