#include "media/shot_cuts.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace wf::media {

bool ShotCutDetector::cut(const cv::Mat& frame) {
  const double scale = std::min(1.0, static_cast<double>(settings_.width) / frame.cols);
  cv::Mat small, hsv;
  cv::resize(frame, small, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::cvtColor(small, hsv, cv::COLOR_BGR2HSV_FULL);
  ++since_cut_;
  if (previous_.empty() || previous_.size() != hsv.size()) {
    previous_ = hsv;
    last_change_ = 0;
    return false;
  }
  cv::Mat difference;
  cv::absdiff(hsv, previous_, difference);
  const cv::Scalar mean = cv::mean(difference);
  last_change_ = (mean[0] + mean[1] + mean[2]) / 3.0;
  previous_ = hsv;
  if (last_change_ < settings_.threshold || since_cut_ < settings_.min_shot) return false;
  since_cut_ = 0;
  return true;
}

}  // namespace wf::media
