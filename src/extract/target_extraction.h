#pragma once
// Step 2 of the wizard: the target video becomes a face dataset of the one person to replace. A first pass finds
// every face of every frame and the shot cuts, tracks faces within each shot and groups the tracks into people
// (extract/people.h); the user's choice (a number, a reference photo, else the one on screen most) decides
// whose faces a second pass writes. Frames without that person are listed in skipped.jsonl, not dropped. Frames
// stay in the video: dataset.json references it (with its cuts) and each record keeps its frame index and crop
// matrix (docs/formats/dataset.md).

#include <atomic>
#include <filesystem>
#include <optional>
#include <vector>

#include "core/events.h"
#include "extract/face_frames.h"
#include "face/tracker.h"
#include "media/shot_cuts.h"
#include "media/video_reader.h"
#include "models/face_analysers.h"
#include "options/extract_options.h"

namespace wf::extract {

struct TargetOptions {
  std::filesystem::path video;
  std::filesystem::path output;
  media::FrameSampling sampling;
  std::optional<std::filesystem::path> reference;  // a photo of the person to replace...
  std::optional<int> person;                       // ...or their number in people.json; else person 1, on screen most
  int crop_size = options::kCropSize;
  face::TrackerSettings tracker;
  media::ShotCutSettings cuts;
  float same_person = 0.5f;           // tracks this alike (cosine of their mean embeddings) are one person
  float reference_similarity = 0.3f;  // the least a reference photo must be like the person it picks
};

struct TargetSummary {
  int frames = 0;
  int faces = 0;
  int people = 0;                                 // people found in the video
  int person = 0;                                 // the one the dataset holds
  std::vector<std::int64_t> cuts;                 // frames that start a new shot
  std::vector<std::int64_t> frames_without_face;  // frame indices, in order
  models::StageTimes times;
};

// `cancel` turning true stops it between frames with wf::Error(cancelled); what was written stays for a resume.
TargetSummary extract_target(const TargetOptions& options, models::FaceAnalysers& analysers, core::EventSink* events = nullptr,
                    const std::atomic<bool>* cancel = nullptr);

}  // namespace wf::extract
