#include "face/face_thumbnail.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace wf::face {

cv::Mat face_thumbnail(const cv::Mat& frame, const cv::Rect2f& box, int size) {
  const float side = 1.6f * std::max(box.width, box.height);
  cv::Mat patch;
  cv::getRectSubPix(frame, {cvRound(side), cvRound(side)}, {box.x + box.width / 2, box.y + box.height / 2}, patch);
  cv::Mat out;
  cv::resize(patch, out, {size, size}, 0, 0, side > static_cast<float>(size) ? cv::INTER_AREA : cv::INTER_CUBIC);
  return out;
}

}  // namespace wf::face
