#pragma once
// The tracked face's landmarks smoothed over time before the swap, to hold flicker down: each run of consecutive
// frames is filtered with the One Euro filter (face/landmark_smoothing.h) in the frame's pixels — where the face
// really moves — and the result is put back into each crop's pixels.

#include <vector>

#include "dataset/face_record.h"
#include "face/landmark_smoothing.h"

namespace wf::swap {

// `records` in frame order (as a target dataset holds them); their keypoints, 68 and 478 landmarks are replaced by
// the smoothed ones. A gap in the frame indices and a cut (`cuts`: the frames that start a shot) start the filters
// again.
void smooth_track(std::vector<dataset::FaceRecord>& records, const std::vector<std::int64_t>& cuts = {},
                  const face::OneEuroSettings& settings = {});

}  // namespace wf::swap
