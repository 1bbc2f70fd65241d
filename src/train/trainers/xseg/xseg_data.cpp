#include "train/trainers/xseg/xseg_data.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>
#include <span>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "face/hull_mask.h"
#include "face/landmarker_478.h"
#include "media/image_io.h"
#include "train/trainers/xseg/xseg_model.h"

namespace wf::xseg {
namespace {

double uniform(std::mt19937_64& rng, double low, double high) { return std::uniform_real_distribution<double>(low, high)(rng); }

// MediaPipe's inner lip contour and the 68-point layout's: a mouth that opens changes the crop there
// without any occluder, so hull labels are never cut inside it (nor inside the eyes, which blink).
constexpr int kInnerLips478[] = {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191};

cv::Mat moving_parts(const dataset::FaceRecord& record, cv::Size size) {
  cv::Mat parts = cv::Mat::zeros(size, CV_8U);
  std::vector<std::vector<cv::Point>> polygons;
  if (record.landmarks_478.size() == 478) {
    auto polygon = [&](std::span<const int> indices) {
      std::vector<cv::Point> points;
      for (int i : indices) points.emplace_back(cv::Point2f(record.landmarks_478[static_cast<std::size_t>(i)].x,
                                                            record.landmarks_478[static_cast<std::size_t>(i)].y));
      polygons.push_back(points);
    };
    polygon(kInnerLips478);
    for (const auto& ring : face::kEyeRings) polygon(ring);
  } else if (record.landmarks_68.size() == 68) {
    for (auto [first, last] : {std::pair{60, 68}, std::pair{36, 42}, std::pair{42, 48}}) {
      polygons.emplace_back();
      for (int i = first; i < last; ++i) polygons.back().emplace_back(record.landmarks_68[static_cast<std::size_t>(i)]);
    }
  }
  for (const auto& polygon : polygons) cv::fillConvexPoly(parts, polygon, cv::Scalar(255));
  const int margin = size.width / 128 * 2 + 1;  // a few pixels: lips and lids move with the parts they frame
  cv::dilate(parts, parts, cv::getStructuringElement(cv::MORPH_ELLIPSE, {margin, margin}));
  return parts;
}

cv::Mat label_of(const dataset::FaceRecord& record, const std::filesystem::path& folder, cv::Size size) {
  if (record.mask_origin == dataset::MaskOrigin::painted) {
    const auto path = folder / record.mask_file_name();
    cv::Mat mask = media::read_mask(path);
    if (mask.size() != size) {
      throw Error(ErrorCode::invalid_input,
                  "the painted mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) +
                      ", its face " + std::to_string(size.width) + "x" + std::to_string(size.height),
                  path, "paint the mask again at the face crop's size");
    }
    return mask;
  }
  std::vector<cv::Point2f> points;
  for (const auto& p : record.landmarks_478) points.emplace_back(p.x, p.y);
  if (points.empty()) points = record.landmarks_68;
  return face::hull_mask(size, points, 0.f);
}

// A random shape in a random colour or a flipped patch of the image: hands, microphones, hair.
cv::Mat random_occluder(cv::Size size, std::mt19937_64& rng) {
  cv::Mat shape = cv::Mat::zeros(size, CV_8U);
  const cv::Point centre(static_cast<int>(uniform(rng, 0.2, 0.8) * size.width),
                         static_cast<int>(uniform(rng, 0.3, 0.9) * size.height));
  const double radius = uniform(rng, 0.08, 0.25) * size.width;
  switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
    case 0:
      cv::ellipse(shape, centre, cv::Size(static_cast<int>(radius), static_cast<int>(radius * uniform(rng, 0.3, 1.0))),
                  uniform(rng, 0, 180), 0, 360, cv::Scalar(255), cv::FILLED);
      break;
    case 1: {  // a bar entering from an edge, like a microphone or a finger
      const double angle = uniform(rng, 0, 2 * CV_PI);
      const cv::Point far(centre.x + static_cast<int>(2 * size.width * std::cos(angle)),
                          centre.y + static_cast<int>(2 * size.height * std::sin(angle)));
      cv::line(shape, centre, far, cv::Scalar(255), std::max(2, static_cast<int>(radius * 0.6)));
      break;
    }
    default: {
      std::vector<cv::Point> polygon;
      for (int i = 0; i < 6; ++i) {
        const double a = i * CV_PI / 3 + uniform(rng, -0.4, 0.4), r = radius * uniform(rng, 0.5, 1.2);
        polygon.emplace_back(centre.x + static_cast<int>(r * std::cos(a)), centre.y + static_cast<int>(r * std::sin(a)));
      }
      cv::fillPoly(shape, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(255));
    }
  }
  return shape;
}

}  // namespace

std::pair<cv::Mat, cv::Mat> augment(const cv::Mat& image, const cv::Mat& label, std::mt19937_64& rng) {
  cv::Mat out = image.clone(), mask = label.clone();
  if (uniform(rng, 0, 1) < 0.5) {
    cv::flip(out, out, 1);
    cv::flip(mask, mask, 1);
  }
  const cv::Point2f centre(out.cols / 2.f, out.rows / 2.f);
  cv::Mat affine = cv::getRotationMatrix2D(centre, uniform(rng, -10, 10), uniform(rng, 0.9, 1.1));
  affine.at<double>(0, 2) += uniform(rng, -0.05, 0.05) * out.cols;
  affine.at<double>(1, 2) += uniform(rng, -0.05, 0.05) * out.rows;
  cv::warpAffine(out, out, affine, out.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  cv::warpAffine(mask, mask, affine, mask.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0));
  // Colour: contrast and brightness, then saturation in HSV.
  out.convertTo(out, -1, uniform(rng, 0.8, 1.2), uniform(rng, -25, 25));
  cv::Mat hsv;
  cv::cvtColor(out, hsv, cv::COLOR_BGR2HSV);
  std::vector<cv::Mat> channels;
  cv::split(hsv, channels);
  channels[1].convertTo(channels[1], -1, uniform(rng, 0.8, 1.2));
  cv::merge(channels, hsv);
  cv::cvtColor(hsv, out, cv::COLOR_HSV2BGR);
  if (uniform(rng, 0, 1) < 0.3) cv::GaussianBlur(out, out, {0, 0}, uniform(rng, 0.5, 1.5));
  if (uniform(rng, 0, 1) < 0.5) {
    const cv::Mat shape = random_occluder(out.size(), rng);
    cv::Mat fill;
    if (uniform(rng, 0, 1) < 0.5) {
      cv::flip(out, fill, -1);  // texture from the image itself, turned around
    } else {
      fill = cv::Mat(out.size(), out.type(),
                     cv::Scalar(uniform(rng, 0, 255), uniform(rng, 0, 255), uniform(rng, 0, 255)));
    }
    fill.copyTo(out, shape);
    mask.setTo(0, shape);
  }
  return {out, mask};
}

at::Tensor to_input(const std::vector<cv::Mat>& images) {
  std::vector<at::Tensor> batch;
  for (const auto& image : images) {
    cv::Mat rgb;
    cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB);
    batch.push_back(at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).permute({2, 0, 1}).to(at::kFloat));
  }
  const at::Tensor mean = at::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1}) * 255;
  const at::Tensor std = at::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1}) * 255;
  return (at::stack(batch) - mean) / std;
}

at::Tensor to_target(const std::vector<cv::Mat>& labels) {
  std::vector<at::Tensor> batch;
  for (const auto& label : labels) {
    batch.push_back(at::from_blob(const_cast<uchar*>(label.ptr()), {1, label.rows, label.cols}, at::kByte).gt(127).to(at::kFloat));
  }
  return at::stack(batch);
}

namespace {

// Hull labels call everything inside the face outline "face", the microphone in front of the mouth too.
// The crops are aligned, so over a clip each pixel mostly shows the same part of the face: their
// per-pixel median (after evening out each frame's light) is the clean face, and hull pixels that stay far
// from it are something passing in front. They are cut from the label, except where faces move by
// themselves (mouth, eyes). Painted labels are the user's and stay as they are.
void cut_transient_occluders(std::vector<cv::Mat>& images, std::vector<cv::Mat>& labels, const std::vector<cv::Mat>& moving,
                             const std::vector<bool>& painted) {
  const std::size_t n = images.size();
  if (n < 5) return;  // too few frames to know what the face looks like
  std::vector<at::Tensor> frames;
  for (std::size_t i = 0; i < n; ++i) {
    cv::Mat lab;
    images[i].convertTo(lab, CV_32FC3, 1.0 / 255);
    cv::cvtColor(lab, lab, cv::COLOR_BGR2Lab);
    at::Tensor t = at::from_blob(lab.data, {lab.rows, lab.cols, 3}, at::kFloat).clone();
    const at::Tensor inside = at::from_blob(labels[i].data, {lab.rows, lab.cols}, at::kByte).gt(127);
    if (inside.any().item<bool>()) t = t - t.index({inside}).mean(0);  // light: each frame's own mean removed
    frames.push_back(t);
  }
  const at::Tensor stack = at::stack(frames);  // N x H x W x 3
  const std::size_t step = std::max<std::size_t>(1, n / 64);
  const at::Tensor median = std::get<0>(stack.slice(0, 0, static_cast<int64_t>(n), static_cast<int64_t>(step)).median(0));
  const at::Tensor distance = (stack - median).norm(2, -1);  // N x H x W, Lab units
  // A deviation counts when it is far beyond how much this clip's hull pixels vary anyway.
  std::vector<at::Tensor> inside;
  for (std::size_t i = 0; i < n; ++i) {
    inside.push_back(distance[static_cast<int64_t>(i)].index({at::from_blob(labels[i].data, {labels[i].rows, labels[i].cols}, at::kByte).gt(127)}));
  }
  const at::Tensor all_inside = at::cat(inside);
  if (all_inside.numel() == 0) return;
  const double threshold = std::max(12.0, 4 * all_inside.median().item<double>());
  const int side = labels.front().cols / 64 * 2 + 1;  // specks go, a finger at 64 pixels stays
  const cv::Mat open = cv::getStructuringElement(cv::MORPH_ELLIPSE, {side, side});
  for (std::size_t i = 0; i < n; ++i) {
    if (painted[i]) continue;
    const at::Tensor far = distance[static_cast<int64_t>(i)].gt(threshold).to(at::kByte).mul(255).contiguous();
    cv::Mat occluder(labels[i].size(), CV_8U, far.data_ptr<uchar>());
    occluder = occluder.clone();
    occluder.setTo(0, moving[i]);
    cv::morphologyEx(occluder, occluder, cv::MORPH_OPEN, open);
    cv::dilate(occluder, occluder, open);
    labels[i].setTo(0, occluder);
  }
}

}  // namespace

XSegData::XSegData(const std::filesystem::path& dataset, int resolution, double held_out_fraction)
    : resolution_(resolution) {
  if (resolution < options::kXSegMinResolution || resolution > options::kXSegMaxResolution || resolution % 32 != 0) {
    throw Error(ErrorCode::invalid_input,
                "the XSeg resolution is " + std::to_string(resolution) + ", not a multiple of 32 from " +
                    std::to_string(options::kXSegMinResolution) + " to " + std::to_string(options::kXSegMaxResolution),
                {}, "use 256 (the default), or 128 for a quick first model");
  }
  const auto records = dataset::read_records(dataset);
  if (records.empty()) {
    throw Error(ErrorCode::invalid_input, "the target dataset has no faces to train XSeg on", dataset,
                "extract the target first (watserface extract --target)");
  }
  std::vector<cv::Mat> images, labels, moving;
  std::vector<bool> painted;
  bool any_face = false;
  for (const auto& record : records) {
    const cv::Mat image = media::read_image(dataset / record.file_name());
    const cv::Mat label = label_of(record, dataset, image.size());
    any_face = any_face || cv::countNonZero(label) > 0;
    const cv::Size small(resolution, resolution);
    images.emplace_back();
    cv::resize(image, images.back(), small, 0, 0, cv::INTER_AREA);
    labels.emplace_back();
    cv::resize(label, labels.back(), small, 0, 0, cv::INTER_NEAREST);
    moving.emplace_back();
    cv::resize(moving_parts(record, image.size()), moving.back(), small, 0, 0, cv::INTER_NEAREST);
    painted.push_back(record.mask_origin == dataset::MaskOrigin::painted);
  }
  if (!any_face) {
    throw Error(ErrorCode::invalid_input, "every mask of the dataset is empty: there is no face to learn", dataset,
                "repaint the masks, or extract the target again");
  }
  cut_transient_occluders(images, labels, moving, painted);
  // Every `every`-th face (the middle of each run, so both halves of a clip are covered) is held out.
  const std::size_t every = held_out_fraction > 0 ? std::max<std::size_t>(2, static_cast<std::size_t>(1 / held_out_fraction)) : 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    auto& split = every > 0 && i % every == every / 2 ? held_out_ : train_;
    split.images.push_back(images[i]);
    split.labels.push_back(labels[i]);
  }
  if (train_.images.empty()) std::swap(train_, held_out_);  // one face: train on it, hold nothing out
}

XSegImages XSegData::augmented(const std::vector<std::size_t>& indices, std::mt19937_64& rng) const {
  XSegImages out;
  for (const std::size_t i : indices) {
    auto [image, label] = augment(train_.images.at(i), train_.labels.at(i), rng);
    out.images.push_back(std::move(image));
    out.labels.push_back(std::move(label));
  }
  return out;
}

}  // namespace wf::xseg
