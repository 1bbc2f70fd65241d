#include "face/landmark_smoothing.h"

#include <cmath>
#include <numbers>

namespace wf::face {
namespace {

// Smoothing factor of an exponential filter with this cutoff frequency at this sampling interval.
double alpha(double cutoff_hz, double dt) {
  const double tau = 1.0 / (2.0 * std::numbers::pi * cutoff_hz);
  return 1.0 / (1.0 + tau / dt);
}

}  // namespace

double OneEuroFilter::filter(double value, double time_s) {
  if (!previous_ || time_s <= previous_->time) {
    previous_ = State{value, 0.0, time_s};
    return value;
  }
  const double dt = time_s - previous_->time;
  const double derivative = (value - previous_->value) / dt;
  const double smoothed_derivative =
      previous_->derivative + alpha(settings_.d_cutoff, dt) * (derivative - previous_->derivative);
  const double cutoff = settings_.min_cutoff + settings_.beta * std::abs(smoothed_derivative);
  const double smoothed = previous_->value + alpha(cutoff, dt) * (value - previous_->value);
  previous_ = State{smoothed, smoothed_derivative, time_s};
  return smoothed;
}

std::vector<cv::Point2f> LandmarkSmoother::smooth(const std::vector<cv::Point2f>& points, double time_s) {
  if (filters_.size() != 2 * points.size()) filters_.assign(2 * points.size(), OneEuroFilter(settings_));
  std::vector<cv::Point2f> out;
  out.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    out.emplace_back(static_cast<float>(filters_[2 * i].filter(points[i].x, time_s)),
                     static_cast<float>(filters_[2 * i + 1].filter(points[i].y, time_s)));
  }
  return out;
}

}  // namespace wf::face
