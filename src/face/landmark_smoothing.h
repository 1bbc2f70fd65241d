#pragma once
// Landmark smoothing over time with the One Euro filter (Casiez, Roussel, Vogel, CHI 2012): strong
// smoothing while a point is still (no jitter), little while it moves fast (no lag).

#include <opencv2/core/types.hpp>
#include <optional>
#include <vector>

namespace wf::face {

struct OneEuroSettings {
  double min_cutoff = 1.0;  // Hz: lower = smoother when still
  double beta = 0.05;       // how fast the cutoff rises with speed (per pixel/s)
  double d_cutoff = 1.0;    // Hz: cutoff for the speed estimate
};

class OneEuroFilter {
 public:
  explicit OneEuroFilter(OneEuroSettings settings = {}) : settings_(settings) {}
  double filter(double value, double time_s);
  void reset() { previous_.reset(); }

 private:
  struct State {
    double value, derivative, time;
  };
  OneEuroSettings settings_;
  std::optional<State> previous_;
};

// One filter per coordinate of a fixed-size landmark set; a set of another size restarts it.
class LandmarkSmoother {
 public:
  explicit LandmarkSmoother(OneEuroSettings settings = {}) : settings_(settings) {}
  std::vector<cv::Point2f> smooth(const std::vector<cv::Point2f>& points, double time_s);
  void reset() { filters_.clear(); }

 private:
  OneEuroSettings settings_;
  std::vector<OneEuroFilter> filters_;  // x0, y0, x1, y1, ...
};

}  // namespace wf::face
