#include "face/expression_regions.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace wf::face {
namespace {

// MediaPipe face mesh: the inner lip contour (upper lip left to right, then the lower lip back) and each eye's lid
// contour (corner, upper lid, other corner, lower lid).
constexpr std::array<int, 20> kInnerLips478{78,  191, 80,  81,  82,  13, 312, 311, 310, 415,
                                            308, 324, 318, 402, 317, 14, 87,  178, 88,  95};
constexpr std::array<std::array<int, 16>, 2> kEyes478{
    {{33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7},
     {362, 398, 384, 385, 386, 387, 388, 466, 263, 249, 390, 373, 374, 380, 381, 382}}};

constexpr std::array<int, 8> kInnerLips68{60, 61, 62, 63, 64, 65, 66, 67};
constexpr std::array<std::array<int, 6>, 2> kEyes68{{{36, 37, 38, 39, 40, 41}, {42, 43, 44, 45, 46, 47}}};

template <std::size_t N>
std::vector<cv::Point2f> pick(const std::vector<cv::Point2f>& points, const std::array<int, N>& indices) {
  std::vector<cv::Point2f> out;
  for (int i : indices) out.push_back(points[static_cast<std::size_t>(i)]);
  return out;
}

// Each contour starts at one corner and is half-way round at the other; the middles of its two sides are a
// quarter and three quarters of the way.
double corner_to_corner(const std::vector<cv::Point2f>& contour) {
  return cv::norm(contour.front() - contour[contour.size() / 2]);
}

double side_to_side(const std::vector<cv::Point2f>& contour) {
  return cv::norm(contour[contour.size() / 4] - contour[3 * contour.size() / 4]);
}

}  // namespace

double ExpressionRegions::mouth_width() const {
  return empty() ? 0 : corner_to_corner(inner_mouth);
}

double ExpressionRegions::eye_width(std::size_t eye) const {
  return eyes[eye].empty() ? 0 : corner_to_corner(eyes[eye]);
}

double ExpressionRegions::mouth_opening() const {
  const double width = mouth_width();
  return width > 0 ? side_to_side(inner_mouth) / width : 0;
}

double ExpressionRegions::eye_opening(std::size_t eye) const {
  const double width = eye_width(eye);
  return width > 0 ? side_to_side(eyes[eye]) / width : 0;
}

std::vector<cv::Point2f> ExpressionRegions::eye_window(std::size_t eye) const {
  const std::vector<cv::Point2f>& contour = eyes[eye];
  if (contour.empty()) return {};
  const cv::Point2f a = contour.front(), b = contour[contour.size() / 2];
  const cv::Point2f centre = (a + b) * 0.5f;
  const double width = eye_width(eye);
  const double angle = std::atan2(b.y - a.y, b.x - a.x) * 180 / CV_PI;
  std::vector<cv::Point> outline;
  cv::ellipse2Poly(cv::Point(cvRound(centre.x), cvRound(centre.y)),
                   cv::Size(cvRound(width / 2), cvRound(0.225 * width)), cvRound(angle), 0, 360, 10, outline);
  return {outline.begin(), outline.end()};
}

ExpressionRegions expression_regions(const std::vector<cv::Point2f>& points) {
  ExpressionRegions r;
  if (points.size() >= 478) {
    r.inner_mouth = pick(points, kInnerLips478);
    for (std::size_t e = 0; e < 2; ++e) r.eyes[e] = pick(points, kEyes478[e]);
  } else if (points.size() == 68) {
    r.inner_mouth = pick(points, kInnerLips68);
    for (std::size_t e = 0; e < 2; ++e) r.eyes[e] = pick(points, kEyes68[e]);
  }
  return r;
}

std::vector<cv::Point2f> expression_points(const std::vector<cv::Point3f>& mesh,
                                           const std::vector<cv::Point2f>& points_68) {
  if (mesh.size() < 478) return points_68;
  std::vector<cv::Point2f> out;
  for (const auto& p : mesh) out.emplace_back(p.x, p.y);
  return out;
}

cv::Mat polygon_mask(cv::Size size, const std::vector<cv::Point2f>& polygon, int grow) {
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  if (polygon.size() < 3) return mask;
  std::vector<cv::Point> corners;
  for (const auto& p : polygon) corners.emplace_back(cvRound(p.x), cvRound(p.y));
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{corners}, cv::Scalar(255), cv::LINE_AA);
  if (grow > 0) cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * grow + 1, 2 * grow + 1}));
  return mask;
}

double grey_spread(const cv::Mat& image, const std::vector<cv::Point2f>& polygon) {
  const cv::Mat inside = polygon_mask(image.size(), polygon, 0) > 127;
  if (cv::countNonZero(inside) == 0) return 0;
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, spread;
  cv::meanStdDev(grey, mean, spread, inside);
  return spread[0];
}

}  // namespace wf::face
