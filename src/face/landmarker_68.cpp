#include "face/landmarker_68.h"

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>

#include "core/error.h"

namespace wf::face {

struct Landmarker68::Impl {
  dlib::shape_predictor predictor;
};

Landmarker68::Landmarker68(const std::filesystem::path& model) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec)) {
    throw Error(ErrorCode::missing_model, "the 68-landmark model is missing", model,
                "install Debian's libdlib-data (scripts/setup does) or set dlib_data_dir");
  }
  try {
    dlib::deserialize(model.string()) >> impl_->predictor;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("cannot load the 68-landmark model: ") + e.what(), model,
                "reinstall libdlib-data");
  }
  if (impl_->predictor.num_parts() != 68) {
    throw Error(ErrorCode::corrupt_file,
                "the shape predictor has " + std::to_string(impl_->predictor.num_parts()) + " points, not 68", model,
                "use shape_predictor_68_face_landmarks.dat");
  }
}

Landmarker68::~Landmarker68() = default;
Landmarker68::Landmarker68(Landmarker68&&) noexcept = default;
Landmarker68& Landmarker68::operator=(Landmarker68&&) noexcept = default;

Landmarks68 Landmarker68::landmarks(const cv::Mat& image, const cv::Rect2f& box) const {
  if (image.type() != CV_8UC3) throw Error(ErrorCode::invalid_input, "landmarks need an 8-bit colour image");
  const dlib::cv_image<dlib::bgr_pixel> view(image);
  const dlib::rectangle rect(static_cast<long>(box.x), static_cast<long>(box.y), static_cast<long>(box.x + box.width),
                             static_cast<long>(box.y + box.height));
  const dlib::full_object_detection shape = impl_->predictor(view, rect);
  Landmarks68 points;
  for (unsigned long i = 0; i < 68; ++i) {
    points[i] = {static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y())};
  }
  return points;
}

Keypoints5 keypoints_from_68(const Landmarks68& landmarks) {
  auto mean = [&](int first) {
    cv::Point2f sum(0, 0);
    for (int i = first; i < first + 6; ++i) sum += landmarks[static_cast<std::size_t>(i)];
    return sum / 6.f;
  };
  // 36-41 is the eye on the image's left (the subject's right eye), 42-47 the other.
  return {mean(36), mean(42), landmarks[30], landmarks[48], landmarks[54]};
}

}  // namespace wf::face
