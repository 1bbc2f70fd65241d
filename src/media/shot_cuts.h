#pragma once
// Where a video cuts from one shot to the next, found as PySceneDetect's content detector finds it: the mean
// change of hue, saturation and value between consecutive frames (downscaled) over a threshold, at most one cut
// within a few frames. Everything that follows a face over time (tracking, landmark smoothing, review's jump
// check) starts again at a cut instead of carrying one shot's face into the next.

#include <cstdint>
#include <opencv2/core/mat.hpp>

namespace wf::media {

struct ShotCutSettings {
  double threshold = 27;      // mean |ΔH|, |ΔS|, |ΔV| averaged, on 0..255 (PySceneDetect's default)
  std::int64_t min_shot = 3;  // frames: a flash or a fast pan does not make shots shorter than this
  int width = 160;            // frames are compared at this width
};

class ShotCutDetector {
 public:
  explicit ShotCutDetector(ShotCutSettings settings = {}) : settings_(settings) {}
  // True when `frame` (BGR) starts a new shot; the first frame does not.
  bool cut(const cv::Mat& frame);
  // The last frame's content change (0 for the first).
  double last_change() const { return last_change_; }

 private:
  ShotCutSettings settings_;
  cv::Mat previous_;  // HSV, downscaled
  std::int64_t since_cut_ = 0;
  double last_change_ = 0;
};

}  // namespace wf::media
