#pragma once
// What an engine sees and returns: one tracked target face in its aligned crop (the target dataset's crop of
// this frame, landmarks in the crop's pixels, the mask of where the face may change) in, the swapped crop and the
// mask of what it replaced out. The driver (swap_driver.h) does the decoding, tracking, paste-back and encoding.

#include <array>
#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

namespace wf::swap {

struct SwapFace {
  cv::Mat crop;                              // BGR, square, FFHQ-aligned
  std::vector<cv::Point2f> landmarks_68;     // crop pixels, empty or 68
  std::vector<cv::Point3f> landmarks_478;    // crop pixels, empty or 478
  std::array<cv::Point2f, 5> keypoints_5{};  // crop pixels (InstantID's order)
  cv::Mat mask;                              // 8-bit, the crop's size: 255 = the face (XSeg, painted or hull)
  std::int64_t frame_index = 0;
  double relative_eye_opening = 1;  // its eyes' opening over their median along the track (a blink: well under 1)
};

struct SwappedFace {
  cv::Mat crop;           // the crop with the source face in it
  cv::Mat mask;           // 8-bit: 255 where the engine replaced the face (within SwapFace::mask)
  std::string source_id;  // the source face it was made from, when the engine picks one
};

struct SwapOptions;

class SwapEngine {
 public:
  virtual ~SwapEngine() = default;
  virtual SwappedFace swap(const SwapFace& face) = 0;
  // Takes new settings of the same swap (review's repair steps) in place: false when the engine must be made
  // again for them (cheap engines).
  virtual bool reconfigure(const SwapOptions&) { return false; }
};

}  // namespace wf::swap
