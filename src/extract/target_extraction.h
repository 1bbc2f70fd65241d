#pragma once
// Step 2 of the wizard: the target video becomes a face dataset of the one face to replace, followed across
// frames by the tracker (and found again by its identity after it was lost); frames where that face is not
// found are listed in skipped.jsonl, not dropped. Frames stay in the video: dataset.json references it and
// each record keeps its frame index and crop matrix (docs/formats/dataset.md).

#include <atomic>
#include <filesystem>
#include <optional>
#include <vector>

#include "core/events.h"
#include "models/face_analysers.h"
#include "options/extract_options.h"
#include "extract/face_frames.h"
#include "face/tracker.h"
#include "media/video_reader.h"

namespace wf::extract {

struct TargetOptions {
  std::filesystem::path video;
  std::filesystem::path output;
  media::FrameSampling sampling;
  std::optional<std::filesystem::path> reference;  // a photo of the face to replace; else the largest face first seen
  int crop_size = options::kCropSize;
  face::TrackerSettings tracker;
  float reacquire_similarity = 0.5f;  // a face this close to the target's identity takes over a lost track
};

struct TargetSummary {
  int frames = 0;
  int faces = 0;
  std::vector<std::int64_t> frames_without_face;  // frame indices, in order
  models::StageTimes times;
};

// `cancel` turning true stops it between frames with wf::Error(cancelled); what was written stays for a resume.
TargetSummary extract_target(const TargetOptions& options, models::FaceAnalysers& analysers, core::EventSink* events = nullptr,
                    const std::atomic<bool>* cancel = nullptr);

}  // namespace wf::extract
