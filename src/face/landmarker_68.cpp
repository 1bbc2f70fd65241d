#include "face/landmarker_68.h"

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/aligner.h"

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

namespace {

Landmarks68 predict(const dlib::shape_predictor& predictor, const cv::Mat& image, const cv::Rect2f& box) {
  const dlib::cv_image<dlib::bgr_pixel> view(image);
  const dlib::rectangle rect(static_cast<long>(box.x), static_cast<long>(box.y), static_cast<long>(box.x + box.width),
                             static_cast<long>(box.y + box.height));
  const dlib::full_object_detection shape = predictor(view, rect);
  Landmarks68 points;
  for (unsigned long i = 0; i < 68; ++i) {
    points[i] = {static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y())};
  }
  return points;
}

}  // namespace

Landmarks68 Landmarker68::landmarks(const cv::Mat& image, const cv::Rect2f& box) const {
  if (image.type() != CV_8UC3) throw Error(ErrorCode::invalid_input, "landmarks need an 8-bit colour image");
  Landmarks68 points = predict(impl_->predictor, image, box);
  // The predictor learnt upright faces: a rolled head is turned level by its outer eye corners and predicted again.
  const double roll = level_angle(points[36], points[45]);
  if (std::abs(roll) <= kMaxLandmarkRoll) return points;
  const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
  const int side = static_cast<int>(std::ceil(2 * std::max(box.width, box.height)));
  cv::Mat level = cv::getRotationMatrix2D(centre, roll, 1.0);
  level.at<double>(0, 2) += side / 2.0 - centre.x;
  level.at<double>(1, 2) += side / 2.0 - centre.y;
  cv::Mat crop;
  cv::warpAffine(image, crop, level, {side, side}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const cv::Rect2f levelled_box(side / 2.f - box.width / 2, side / 2.f - box.height / 2, box.width, box.height);
  points = predict(impl_->predictor, crop, levelled_box);
  cv::Mat back;
  cv::invertAffineTransform(level, back);
  cv::transform(points, points, back);
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

Keypoints5 keypoints_from_68(const Landmarks68& landmarks, const cv::Mat& image) {
  Keypoints5 k = keypoints_from_68(landmarks);
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  for (int eye = 0; eye < 2; ++eye) {
    std::vector<cv::Point> lids;
    for (int i = 36 + 6 * eye; i < 42 + 6 * eye; ++i) lids.emplace_back(landmarks[static_cast<std::size_t>(i)]);
    const cv::Rect area = cv::boundingRect(lids) & cv::Rect(0, 0, image.cols, image.rows);
    // A closed or tiny eye shows no iris: keep the lid centre.
    if (area.width < 8 || area.height < 0.2 * area.width) continue;
    cv::Mat inside = cv::Mat::zeros(area.size(), CV_8U);
    for (auto& p : lids) p -= area.tl();
    cv::fillConvexPoly(inside, lids, 255);
    const cv::Mat patch = grey(area);
    // The iris is the darkest part of the opening: the darkest third of its pixels, weighted by darkness.
    std::vector<uchar> values;
    for (int y = 0; y < patch.rows; ++y)
      for (int x = 0; x < patch.cols; ++x)
        if (inside.at<uchar>(y, x)) values.push_back(patch.at<uchar>(y, x));
    if (values.size() < 16) continue;
    std::nth_element(values.begin(), values.begin() + values.size() / 3, values.end());
    const int cut = values[values.size() / 3];
    cv::Mat darkness;
    cv::subtract(cv::Scalar(cut + 1), patch, darkness, inside, CV_32F);
    cv::threshold(darkness, darkness, 0, 0, cv::THRESH_TOZERO);
    const cv::Moments m = cv::moments(darkness);
    if (m.m00 <= 0) continue;
    k[static_cast<std::size_t>(eye)] = {static_cast<float>(area.x + m.m10 / m.m00), static_cast<float>(area.y + m.m01 / m.m00)};
  }
  return k;
}

}  // namespace wf::face
