#include "swap/warp_engine.h"

#include <limits>
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include "core/error.h"
#include "core/median.h"
#include "face/expression_regions.h"
#include "swap/repair_ladder.h"
#include "swap/swap_options.h"
#include "swap/target_expression.h"

namespace wf::swap {
namespace {

double eye_opening(const SourceFace& face) {
  return face::expression_regions(face::expression_points(face.landmarks_478, face.landmarks_68)).eyes_opening();
}

std::vector<cv::Point2f> flat(const std::vector<cv::Point3f>& points) {
  std::vector<cv::Point2f> out;
  for (const auto& p : points) out.emplace_back(p.x, p.y);
  return out;
}

std::vector<cv::Point2f> scaled(std::vector<cv::Point2f> points, float scale) {
  for (auto& p : points) p *= scale;
  return points;
}

// Delaunay triangles of `points` as index triples.
std::vector<std::array<int, 3>> delaunay(const std::vector<cv::Point2f>& points, cv::Size size) {
  cv::Subdiv2D subdiv(cv::Rect(0, 0, size.width, size.height));
  for (const auto& p : points) {
    if (p.x >= 0 && p.y >= 0 && p.x < static_cast<float>(size.width) && p.y < static_cast<float>(size.height))
      subdiv.insert(p);
  }
  std::vector<cv::Vec6f> triangles;
  subdiv.getTriangleList(triangles);
  auto index_of = [&](float x, float y) {
    int best = -1;
    float best_distance = std::numeric_limits<float>::max();
    for (std::size_t i = 0; i < points.size(); ++i) {
      const float d = (points[i].x - x) * (points[i].x - x) + (points[i].y - y) * (points[i].y - y);
      if (d < best_distance) {
        best_distance = d;
        best = static_cast<int>(i);
      }
    }
    return best_distance < 1e-2f ? best : -1;  // -1: one of Subdiv2D's outer corners
  };
  std::vector<std::array<int, 3>> out;
  for (const auto& t : triangles) {
    const std::array<int, 3> tri{index_of(t[0], t[1]), index_of(t[2], t[3]), index_of(t[4], t[5])};
    if (tri[0] >= 0 && tri[1] >= 0 && tri[2] >= 0) out.push_back(tri);
  }
  return out;
}

}  // namespace

cv::Mat warp_triangles(const cv::Mat& image, const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to,
                       cv::Size size, cv::Mat& coverage) {
  cv::Mat out = cv::Mat::zeros(size, image.type());
  coverage = cv::Mat::zeros(size, CV_8U);
  const cv::Rect frame(0, 0, size.width, size.height);
  for (const auto& tri : delaunay(to, size)) {
    const std::vector<cv::Point2f> src{from[tri[0]], from[tri[1]], from[tri[2]]},
        dst{to[tri[0]], to[tri[1]], to[tri[2]]};
    const cv::Rect box = cv::boundingRect(dst) & frame;
    if (box.area() == 0) continue;
    std::vector<cv::Point2f> local;
    for (const auto& p : dst) local.emplace_back(p.x - static_cast<float>(box.x), p.y - static_cast<float>(box.y));
    const cv::Mat affine = cv::getAffineTransform(src.data(), local.data());
    cv::Mat patch;
    cv::warpAffine(image, patch, affine, box.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
    cv::Mat inside = cv::Mat::zeros(box.size(), CV_8U);
    std::vector<cv::Point> corners;
    for (const auto& p : local) corners.emplace_back(cvRound(p.x), cvRound(p.y));
    cv::fillConvexPoly(inside, corners, cv::Scalar(255), cv::LINE_8);
    patch.copyTo(out(box), inside);
    coverage(box).setTo(255, inside);
  }
  return out;
}

std::size_t closest_pose(const SourceFaces& source, const std::vector<cv::Point2f>& target_68, int crop_size) {
  std::size_t best = 0;
  double best_distance = std::numeric_limits<double>::max();
  for (std::size_t i = 0; i < source.faces.size(); ++i) {
    const auto& face = source.faces[i];
    const double scale = static_cast<double>(crop_size) / face.crop.cols;
    double distance = 0;
    for (std::size_t k = 0; k < 68; ++k) {
      const cv::Point2f d = face.landmarks_68[k] * static_cast<float>(scale) - target_68[k];
      distance += d.dot(d);
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = i;
    }
  }
  return best;
}

WarpEngine::WarpEngine(const SourceFaces& source, WarpOptions options) : source_(source), options_(options) {
  if (options_.landmarks != 478 && options_.landmarks != 68) {
    throw Error(ErrorCode::invalid_input, "the offline engine warps along 478 or 68 landmarks", {}, "use 478 or 68");
  }
  std::vector<double> openings;
  for (const SourceFace& face : source_.faces) openings.push_back(eye_opening(face));
  typical_eye_opening_ = core::median_in_place(openings);
}

SwappedFace WarpEngine::swap(const SwapFace& face) {
  if (face.landmarks_68.size() != 68) {
    throw Error(ErrorCode::invalid_input,
                "the target face of frame " + std::to_string(face.frame_index) + " has no 68 landmarks", {},
                "extract the target again");
  }
  const int size = face.crop.cols;
  const SourceFace& chosen = source_.faces[closest_pose(source_, face.landmarks_68, size)];
  const float scale = static_cast<float>(size) / static_cast<float>(chosen.crop.cols);
  const bool mesh = options_.landmarks == 478 && chosen.landmarks_478.size() == 478 && face.landmarks_478.size() == 478;
  const std::vector<cv::Point2f> from = scaled(mesh ? flat(chosen.landmarks_478) : chosen.landmarks_68, scale);
  const std::vector<cv::Point2f> to = mesh ? flat(face.landmarks_478) : face.landmarks_68;
  cv::Mat source_crop;
  cv::resize(chosen.crop, source_crop, face.crop.size(), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  cv::Mat coverage;
  const cv::Mat warped = warp_triangles(source_crop, from, to, face.crop.size(), coverage);
  // Where the face changes: inside the warp and the target's mask, a little in from the warp's edge, and never
  // on the crop's border (Poisson cloning needs a frame of known pixels).
  cv::Mat mask;
  cv::bitwise_and(coverage, face.mask > 127, mask);
  const int margin = std::max(1, size / 64);
  cv::erode(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * margin + 1, 2 * margin + 1}));
  cv::rectangle(mask, {0, 0, size, size}, cv::Scalar(0), 2);
  SwappedFace out{face.crop.clone(), mask, chosen.id};
  if (cv::countNonZero(mask) == 0) return out;
  const cv::Mat recoloured = match_colours(warped, mask, face.crop, mask, options_.colour);
  const cv::Rect box = cv::boundingRect(mask);
  // OpenCV's Poisson solver throws on a region one or two pixels across (std::length_error, !fixedSize()): such a
  // sliver is copied as it is.
  if (options_.seamless && box.width >= 3 && box.height >= 3) {
    const cv::Point centre(box.x + box.width / 2, box.y + box.height / 2);
    cv::seamlessClone(recoloured, face.crop, mask, centre, out.crop, cv::NORMAL_CLONE);
  } else {
    recoloured.copyTo(out.crop, mask);
  }
  if (options_.keep_expression) {
    const double source_eyes = typical_eye_opening_ > 0 ? eye_opening(chosen) / typical_eye_opening_ : 1;
    keep_target_expression(out.crop, face.crop, {to, face.relative_eye_opening}, {from, source_eyes});
  }
  return out;
}


void warp_repairs(RepairLadder& ladder) {
  const WarpOptions& warp = ladder.swapped().warp;
  ladder.add("as swapped", nlohmann::json::object(), [](SwapOptions&) {});
  // The target's teeth or shut eyes can cost a face its likeness to the source: then the source's are tried.
  if (warp.keep_expression) {
    ladder.add("source's expression", {{"keep_expression", false}},
               [](SwapOptions& o) { o.warp.keep_expression = false; });
  }
  const ColourMode other = warp.colour == ColourMode::lab_stats ? ColourMode::histogram : ColourMode::lab_stats;
  ladder.add("other colour mode", {{"colour", to_string(other)}}, [&](SwapOptions& o) { o.warp.colour = other; });
  ladder.resized_mask(kRepairMaskStep);
  if (warp.landmarks == 478) {
    ladder.add("68-point warp", {{"landmarks", 68}}, [](SwapOptions& o) { o.warp.landmarks = 68; });
  }
  if (warp.colour != ColourMode::none) {
    ladder.add("no colour matching", {{"colour", "none"}}, [](SwapOptions& o) { o.warp.colour = ColourMode::none; });
  }
  if (warp.seamless) {
    ladder.add("no Poisson blending", {{"seamless", false}}, [](SwapOptions& o) { o.warp.seamless = false; });
  }
}

}  // namespace wf::swap
