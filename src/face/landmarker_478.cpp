#include "face/landmarker_478.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"

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

// A square crop of `image` around `centre` (side in pixels), resized to `size`, RGB scaled to 0..1, NHWC.
// Returns the tensor and the crop's top-left corner and scale (image pixels per crop pixel).
struct Crop {
  at::Tensor tensor;
  cv::Point2f origin;
  float scale;
};

Crop square_crop(const cv::Mat& image, cv::Point2f centre, float side, int size, bool mirror) {
  Crop crop{{}, {centre.x - side / 2, centre.y - side / 2}, side / size};
  // Image -> crop: translate the corner to 0, scale to `size` (mirrored if asked); border pixels repeat.
  cv::Mat matrix = (cv::Mat_<double>(2, 3) << 1.0 / crop.scale, 0, -crop.origin.x / crop.scale, 0, 1.0 / crop.scale,
                    -crop.origin.y / crop.scale);
  if (mirror) {
    matrix.at<double>(0, 0) = -matrix.at<double>(0, 0);
    matrix.at<double>(0, 2) = size - matrix.at<double>(0, 2);
  }
  cv::Mat patch;
  cv::warpAffine(image, patch, matrix, {size, size}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::cvtColor(patch, patch, cv::COLOR_BGR2RGB);
  crop.tensor = at::from_blob(patch.data, {1, size, size, 3}, at::kByte).to(at::kFloat) / 255.0;
  return crop;
}

}  // namespace

Landmarker478::Landmarker478(const std::filesystem::path& facemesh_json, const std::filesystem::path& iris_json)
    : mesh_(nn::tfjs::Executor::load(facemesh_json)), iris_(nn::tfjs::Executor::load(iris_json)) {}

std::optional<MeshResult> Landmarker478::landmarks(const cv::Mat& image, const cv::Rect2f& box,
                                                   float min_face_score) const {
  if (image.type() != CV_8UC3) throw Error(ErrorCode::invalid_input, "landmarks need an 8-bit colour image");
  const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
  const Crop face = square_crop(image, centre, std::max(box.width, box.height) * kFaceEnlarge, kMeshInput, false);
  const auto outputs = mesh_.run({{mesh_.model().input_names.at(0), face.tensor}}, {"output_mesh", "output_faceflag"});
  MeshResult result;
  result.face_score = outputs.at("output_faceflag").item<float>();  // a sigmoid inside the graph already
  if (result.face_score < min_face_score) return std::nullopt;

  const at::Tensor mesh = outputs.at("output_mesh").view({468, 3}).contiguous();
  const float* m = mesh.data_ptr<float>();
  result.points.reserve(478);
  for (int i = 0; i < 468; ++i) {
    result.points.emplace_back(face.origin.x + m[3 * i] * face.scale, face.origin.y + m[3 * i + 1] * face.scale,
                               m[3 * i + 2] * face.scale);
  }
  // The iris model is trained on the image-right eye (the subject's left); the other eye is mirrored in
  // and out. (Mirroring the other one instead puts three of 18 open-eye irises outside their lids in the tests.)
  for (std::size_t eye = 0; eye < 2; ++eye) {
    const cv::Point3f a = result.points[static_cast<std::size_t>(kEyeRings[eye][0])];
    const cv::Point3f b = result.points[static_cast<std::size_t>(kEyeRings[eye][8])];
    const cv::Point2f eye_centre((a.x + b.x) / 2, (a.y + b.y) / 2);
    const float side = std::max(std::abs(a.x - b.x), std::abs(a.y - b.y)) * kEyeEnlarge;
    const bool mirror = eye == 0;
    const Crop crop = square_crop(image, eye_centre, side, kIrisInput, mirror);
    const at::Tensor out = iris_.run({{iris_.model().input_names.at(0), crop.tensor}}).begin()->second.view({76, 3});
    const at::Tensor iris = out.slice(0, 71, 76).contiguous();
    const float* p = iris.data_ptr<float>();
    for (int k = 0; k < 5; ++k) {
      const float x = mirror ? kIrisInput - p[3 * k] : p[3 * k];
      result.points.emplace_back(crop.origin.x + x * crop.scale, crop.origin.y + p[3 * k + 1] * crop.scale,
                                 p[3 * k + 2] * crop.scale);
    }
  }
  return result;
}

Keypoints5 keypoints_from_478(const Landmarks478& landmarks) {
  auto at = [&](std::size_t i) { return cv::Point2f(landmarks.at(i).x, landmarks.at(i).y); };
  return {at(468), at(473), at(1), at(61), at(291)};
}

}  // namespace wf::face
