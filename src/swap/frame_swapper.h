#pragma once
// One frame of the target video swapped as a swap run does it: the tracked face's aligned crop cut from the
// frame, its mask (XSeg, painted or hull, grown or shrunk by the options), the engine, the paste-back. The swap
// driver walks the whole video through it; review re-runs single frames through it with adjusted settings.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <opencv2/core/mat.hpp>
#include <string>

#include "dataset/face_record.h"
#include "swap/source_faces.h"
#include "swap/swap_engine.h"
#include "swap/swap_options.h"

namespace wf::swap {

using TargetTrack = std::map<std::int64_t, dataset::FaceRecord>;  // by frame index

// The least share of the landmarks' hull a face's XSeg or painted mask must cover to be swapped through.
inline constexpr double kMinMaskShare = 0.2;

// The target dataset's faces as the swap places them (smoothed when the options say so). Throws wf::Error naming
// the dataset when it has no faces or a face has no crop matrix.
TargetTrack load_target_track(const SwapOptions& options);
// The frames that start a new shot in the target dataset's video (empty for a photo or an older dataset).
std::vector<std::int64_t> target_cuts(const std::filesystem::path& target_dataset);

class FrameSwapper {
 public:
  // Loads the source faces, the track and the engine the options name.
  explicit FrameSwapper(SwapOptions options);
  ~FrameSwapper();
  FrameSwapper(const FrameSwapper&) = delete;
  FrameSwapper& operator=(const FrameSwapper&) = delete;

  // The frame with its face swapped, or as it is when the track has no face there; `report`, when given, gets
  // the swap report's entry for the frame appended. A mask too small or faint to swap through (under
  // kMinMaskShare of the landmarks' hull over half strength) is replaced by the hull, and the entry says so in
  // "warning". Throws wf::Error(invalid_input) naming a mask file of another size than the crop.
  cv::Mat swap(const cv::Mat& frame, std::int64_t index, nlohmann::json* report = nullptr);

  // Other settings for the models already loaded (what a repair tries): the engine's knobs, the mask, the
  // feather. Throws wf::Error(invalid_input) when they name another engine, other model files, or another track.
  void set_options(const SwapOptions& options);

  const SwapOptions& options() const { return options_; }
  const TargetTrack& track() const { return track_; }
  const SourceFaces& source() const { return source_; }

 private:
  struct FaceMask {
    cv::Mat mask;         // the crop's size
    std::string origin;   // the report's "mask": xseg, painted or hull
    std::string warning;  // why the hull stands in for the face's own mask, when it does
  };
  FaceMask mask_of(const dataset::FaceRecord& record) const;
  std::unique_ptr<SwapEngine> make_engine() const;

  SwapOptions options_;
  SourceFaces source_;
  TargetTrack track_;
  std::map<std::int64_t, double> eye_openings_;  // each frame's over the track's median, before smoothing
  std::unique_ptr<SwapEngine> engine_;
  int crop_size_ = 0;
};

}  // namespace wf::swap
