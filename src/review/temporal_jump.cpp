#include "review/temporal_jump.h"

#include <algorithm>

namespace wf::review {

double jump_of(const TrackedFace& face, std::int64_t index, const std::map<std::int64_t, TrackedFace>& frames) {
  if (face.output.empty() || face.output.size() != face.track.size() || face.face_width <= 0) return 0;
  std::vector<const TrackedFace*> neighbours;
  for (auto it = frames.lower_bound(index - kJumpNeighbours);
       it != frames.end() && it->first <= index + kJumpNeighbours; ++it) {
    const TrackedFace& other = it->second;
    if (it->first != index && other.output.size() == face.output.size() && other.track.size() == face.output.size()) {
      neighbours.push_back(&other);
    }
  }
  if (neighbours.size() < kMinJumpNeighbours) return 0;
  auto median = [](std::vector<float>& values) {
    const std::size_t half = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(half), values.end());
    const float upper = values[half];
    if (values.size() % 2 == 1) return upper;
    return (upper + *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(half))) / 2;
  };
  double distance = 0;
  std::vector<float> xs(neighbours.size()), ys(neighbours.size());
  for (std::size_t k = 0; k < face.output.size(); ++k) {
    for (std::size_t n = 0; n < neighbours.size(); ++n) {
      const cv::Point2f offset = neighbours[n]->output[k] - neighbours[n]->track[k];
      xs[n] = offset.x;
      ys[n] = offset.y;
    }
    const cv::Point2f typical(median(xs), median(ys));
    distance += cv::norm(face.output[k] - face.track[k] - typical);
  }
  return distance / static_cast<double>(face.output.size()) / face.face_width;
}

}  // namespace wf::review
