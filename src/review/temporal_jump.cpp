#include "review/temporal_jump.h"

#include <algorithm>
#include <iterator>

#include "core/median.h"

namespace wf::review {

double jump_of(const TrackedFace& face, std::int64_t index, const std::map<std::int64_t, TrackedFace>& frames,
               const std::vector<std::int64_t>& cuts) {
  if (face.output.empty() || face.output.size() != face.track.size() || face.face_width <= 0) return 0;
  std::int64_t first = index - kJumpNeighbours, last = index + kJumpNeighbours;
  const auto next_cut = std::upper_bound(cuts.begin(), cuts.end(), index);
  if (next_cut != cuts.begin()) first = std::max(first, *std::prev(next_cut));
  if (next_cut != cuts.end()) last = std::min(last, *next_cut - 1);
  std::vector<const TrackedFace*> neighbours;
  for (auto it = frames.lower_bound(first); it != frames.end() && it->first <= last; ++it) {
    const TrackedFace& other = it->second;
    if (it->first != index && other.output.size() == face.output.size() && other.track.size() == face.output.size()) {
      neighbours.push_back(&other);
    }
  }
  if (neighbours.size() < kMinJumpNeighbours) return 0;
  double distance = 0;
  std::vector<float> xs(neighbours.size()), ys(neighbours.size());
  for (std::size_t k = 0; k < face.output.size(); ++k) {
    for (std::size_t n = 0; n < neighbours.size(); ++n) {
      const cv::Point2f offset = neighbours[n]->output[k] - neighbours[n]->track[k];
      xs[n] = offset.x;
      ys[n] = offset.y;
    }
    const cv::Point2f typical(core::median_in_place(xs), core::median_in_place(ys));
    distance += cv::norm(face.output[k] - face.track[k] - typical);
  }
  return distance / static_cast<double>(face.output.size()) / face.face_width;
}

}  // namespace wf::review
