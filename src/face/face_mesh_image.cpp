#include "face/face_mesh_image.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "core/error.h"
#include "face/landmarker_478.h"

namespace wf::face {

const std::vector<MeshContour>& face_mesh_contours() {
  static const std::vector<MeshContour> contours = [] {
    std::vector<MeshContour> out{
        {"face_oval",
         {10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
          152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109},
         true},
        {"lips_outer", {61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185}, true},
        {"lips_inner", {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191}, true},
        {"eyebrow_image_left_lower", {46, 53, 52, 65, 55}, false},
        {"eyebrow_image_left_upper", {70, 63, 105, 66, 107}, false},
        {"eyebrow_image_right_lower", {276, 283, 282, 295, 285}, false},
        {"eyebrow_image_right_upper", {300, 293, 334, 296, 336}, false}};
    for (std::size_t eye = 0; eye < kEyeRings.size(); ++eye) {
      out.push_back({eye == 0 ? "eye_image_left" : "eye_image_right",
                     std::vector<int>(kEyeRings[eye].begin(), kEyeRings[eye].end()), true});
    }
    return out;
  }();
  return contours;
}

cv::Mat draw_face_mesh(cv::Size size, const std::vector<cv::Point3f>& landmarks) {
  if (landmarks.size() < 478) {
    throw Error(ErrorCode::invalid_input, "the face-mesh control image needs the 478 landmarks, got " +
                                              std::to_string(landmarks.size()),
                {}, "extract with the 478-point landmarker, or use the five-keypoint control image");
  }
  cv::Mat image = cv::Mat::zeros(size, CV_8UC3);
  const int thickness = std::max(1, static_cast<int>(std::lround(std::min(size.width, size.height) / 256.0)));
  auto colour = [](const std::string& name) {  // RGB
    if (name == "face_oval") return cv::Scalar(230, 230, 230);
    if (name.rfind("lips", 0) == 0) return cv::Scalar(255, 48, 48);
    if (name.rfind("eyebrow_image_left", 0) == 0) return cv::Scalar(48, 255, 48);
    if (name.rfind("eyebrow_image_right", 0) == 0) return cv::Scalar(255, 48, 255);
    return name == "eye_image_left" ? cv::Scalar(48, 255, 255) : cv::Scalar(255, 255, 48);
  };
  for (const MeshContour& contour : face_mesh_contours()) {
    std::vector<cv::Point> points;
    for (int i : contour.indices) {
      const cv::Point3f& p = landmarks[static_cast<std::size_t>(i)];
      points.emplace_back(cvRound(p.x), cvRound(p.y));
    }
    cv::polylines(image, points, contour.closed, colour(contour.name), thickness, cv::LINE_AA);
  }
  for (const int iris : {468, 473}) {  // the iris centres, as dots
    const cv::Point3f& p = landmarks[static_cast<std::size_t>(iris)];
    cv::circle(image, {cvRound(p.x), cvRound(p.y)}, 2 * thickness, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  }
  return image;
}

}  // namespace wf::face
