#pragma once
// What both extractions do with a face in a frame: analyse it (landmarks, keypoints, embedding), add it to
// a dataset (aligned crop, hull mask, record), and list the frames they leave out.

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/events.h"
#include "core/progress.h"
#include "dataset/imagefolder.h"
#include "models/face_analysers.h"

namespace wf::extract {


// dataset.json's card for an extraction of this kind ("source" or "target") with these models.
dataset::DatasetCard extraction_card(const std::string& kind, const models::FaceAnalysers& analysers);

// Step events (frames looked at, of the frames expected) for an extraction; no-op without a sink.
class ExtractionProgress {
 public:
  ExtractionProgress(core::EventSink* events, std::optional<std::int64_t> expected_frames);
  void frame_done(std::int64_t frames_seen, const std::string& message);

 private:
  core::EventSink* events_;
  core::ProgressMeter meter_;
};

struct FrameOrigin {
  std::filesystem::path source;
  std::int64_t index = 0;
  double timestamp = 0;
  std::string id() const;  // <source stem>_<index, 6 digits>; bytes of the stem that are not UTF-8 as U+FFFD
};

// FFHQ-aligned crop of `crop_size`, landmarks moved into the crop's pixels, a feathered hull mask.
dataset::FaceRecord add_face(dataset::DatasetWriter& writer, const models::AnalysedFace& face, const cv::Mat& frame,
                             const FrameOrigin& origin, int crop_size);

// Throws wf::Error(cancelled) naming the dataset when `cancel` is set: an extraction stops between frames.
void stop_if_cancelled(const std::atomic<bool>* cancel, const std::filesystem::path& dataset);

// skipped.jsonl of a dataset folder: frames left out and why, kept across resumed runs.
class SkipList {
 public:
  explicit SkipList(std::filesystem::path folder);
  std::optional<std::string> reason(const std::string& id) const;
  void add(const std::string& id, const std::string& reason);

 private:
  std::filesystem::path path_;
  std::map<std::string, std::string> reasons_;
};

}  // namespace wf::extract
