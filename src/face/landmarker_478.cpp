#include "face/landmarker_478.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/aligner.h"

namespace wf::face {

const std::array<std::array<int, 16>, 2> kEyeRings{{
    {33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246},
    {263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466},
}};

namespace {

constexpr int kMeshInput = 192;
constexpr int kIrisInput = 64;
constexpr float kFaceEnlarge = 1.4f;  // the mesh model sees the detector box grown by this much
constexpr float kEyeEnlarge = 2.3f;   // and the iris model the eye-corner box grown by this much


// A square crop of `image` around `centre` (side in pixels), turned by `angle` degrees (counter-clockwise, as
// cv::getRotationMatrix2D) so a rolled feature comes out level, resized to `size`, RGB 0..1, NHWC.
// `to_image` maps crop pixels back to image pixels.
struct Crop {
  at::Tensor tensor;
  cv::Mat to_image;  // 2x3 affine
  float scale;       // image pixels per crop pixel
};

Crop square_crop(const cv::Mat& image, cv::Point2f centre, float side, double angle, int size, bool mirror) {
  Crop crop{{}, {}, side / size};
  cv::Mat matrix = cv::getRotationMatrix2D(centre, angle, 1.0 / crop.scale);
  matrix.at<double>(0, 2) += size / 2.0 - centre.x;
  matrix.at<double>(1, 2) += size / 2.0 - centre.y;
  if (mirror) matrix.row(0) = cv::Mat((cv::Mat_<double>(1, 3) << 0, 0, size)) - matrix.row(0);
  cv::Mat patch;
  cv::warpAffine(image, patch, matrix, {size, size}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::cvtColor(patch, patch, cv::COLOR_BGR2RGB);
  crop.tensor = at::from_blob(patch.data, {1, size, size, 3}, at::kByte).to(at::kFloat) / 255.0;
  cv::invertAffineTransform(matrix, crop.to_image);
  return crop;
}

// Model output rows (x, y, z in crop pixels) in image pixels; z keeps its sign and takes the crop's scale.
std::vector<cv::Point3f> to_image(const at::Tensor& rows, const Crop& crop) {
  const at::Tensor xyz = rows.contiguous();
  const float* p = xyz.data_ptr<float>();
  std::vector<cv::Point2f> xy;
  for (int64_t i = 0; i < xyz.size(0); ++i) xy.emplace_back(p[3 * i], p[3 * i + 1]);
  cv::transform(xy, xy, crop.to_image);
  std::vector<cv::Point3f> points;
  for (int64_t i = 0; i < xyz.size(0); ++i) {
    points.emplace_back(xy[static_cast<std::size_t>(i)].x, xy[static_cast<std::size_t>(i)].y, p[3 * i + 2] * crop.scale);
  }
  return points;
}

double roll_degrees(cv::Point3f a, cv::Point3f b) { return level_angle({a.x, a.y}, {b.x, b.y}); }

}  // namespace

Landmarker478::Landmarker478(const std::filesystem::path& facemesh_json, const std::filesystem::path& iris_json)
    : mesh_(nn::tfjs::Executor::load(facemesh_json)), iris_(nn::tfjs::Executor::load(iris_json)) {}

std::optional<MeshResult> Landmarker478::mesh(const cv::Mat& image, cv::Point2f centre, float side, double roll,
                                              float min_face_score) const {
  const Crop face = square_crop(image, centre, side, roll, kMeshInput, false);
  const auto outputs = mesh_.run({{mesh_.model().input_names.at(0), face.tensor}}, {"output_mesh", "output_faceflag"});
  MeshResult result;
  result.face_score = outputs.at("output_faceflag").item<float>();  // a sigmoid inside the graph already
  if (result.face_score < min_face_score) return std::nullopt;
  result.points = to_image(outputs.at("output_mesh").view({468, 3}), face);
  return result;
}

std::optional<MeshResult> Landmarker478::landmarks(const cv::Mat& image, const cv::Rect2f& box,
                                                   float min_face_score) const {
  if (image.type() != CV_8UC3) throw Error(ErrorCode::invalid_input, "landmarks need an 8-bit colour image");
  const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
  const float side = std::max(box.width, box.height) * kFaceEnlarge;
  auto result = mesh(image, centre, side, 0.0, min_face_score);
  if (!result) return std::nullopt;
  // The mesh model is trained on level faces: a rolled head is cropped again, turned level by its eye line.
  const double roll = roll_degrees(result->points[33], result->points[263]);
  if (std::abs(roll) > kMaxLandmarkRoll) {
    result = mesh(image, centre, side, roll, min_face_score);
    if (!result) return std::nullopt;
  }
  // The iris model is trained on the image-right eye (the subject's left); the other eye is mirrored in
  // and out. (Mirroring the other one instead puts three of 18 open-eye irises outside their lids in the tests.)
  for (std::size_t eye = 0; eye < 2; ++eye) {
    const cv::Point3f a = result->points[static_cast<std::size_t>(kEyeRings[eye][0])];
    const cv::Point3f b = result->points[static_cast<std::size_t>(kEyeRings[eye][8])];
    const cv::Point2f eye_centre((a.x + b.x) / 2, (a.y + b.y) / 2);
    const float eye_side = static_cast<float>(cv::norm(cv::Point2f(a.x - b.x, a.y - b.y))) * kEyeEnlarge;
    const double eye_roll = eye == 0 ? roll_degrees(a, b) : roll_degrees(b, a);
    const Crop crop = square_crop(image, eye_centre, eye_side, eye_roll, kIrisInput, eye == 0);
    const at::Tensor out = iris_.run({{iris_.model().input_names.at(0), crop.tensor}}).begin()->second.view({76, 3});
    const auto iris = to_image(out.slice(0, 71, 76), crop);
    result->points.insert(result->points.end(), iris.begin(), iris.end());
  }
  return result;
}
Keypoints5 keypoints_from_478(const Landmarks478& landmarks) {
  auto at = [&](std::size_t i) { return cv::Point2f(landmarks.at(i).x, landmarks.at(i).y); };
  return {at(468), at(473), at(1), at(61), at(291)};
}

}  // namespace wf::face
