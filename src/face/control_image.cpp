#include "face/control_image.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>
#include <string>

#include "core/error.h"
#include "face/face_mesh_image.h"
#include "face/keypoint_image.h"
#include "nn/image_tensor.h"

namespace wf::face {

at::Tensor draw_control_image(ControlImage control, int resolution, float scale,
                              const std::array<cv::Point2f, 5>& keypoints,
                              const std::vector<cv::Point3f>& landmarks_478) {
  cv::Mat drawing;
  if (control == ControlImage::face_mesh) {
    std::vector<cv::Point3f> landmarks = landmarks_478;
    for (auto& p : landmarks) p *= scale;
    drawing = draw_face_mesh({resolution, resolution}, landmarks);
  } else {
    std::array<cv::Point2f, 5> points = keypoints;
    for (auto& p : points) p *= scale;
    drawing = draw_keypoints_5({resolution, resolution}, points);
  }
  cv::Mat drawing_bgr;  // the drawings are RGB; rgb_tensor reads BGR
  cv::cvtColor(drawing, drawing_bgr, cv::COLOR_RGB2BGR);
  return nn::rgb_tensor(drawing_bgr);
}

std::string_view to_string(ControlImage control) {
  return control == ControlImage::face_mesh ? "face_mesh" : "keypoints_5";
}

ControlImage parse_control_image(std::string_view text) {
  if (text == "keypoints_5") return ControlImage::keypoints_5;
  if (text == "face_mesh") return ControlImage::face_mesh;
  throw Error(ErrorCode::invalid_input, "unknown control image '" + std::string(text) + "'", {},
              "use keypoints_5 (InstantID's) or face_mesh");
}

}  // namespace wf::face
