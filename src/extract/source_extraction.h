#pragma once
// Step 1 of the wizard: photos and clips of the source person become a face dataset (DESIGN.md §4), plus
// identity.json (the person's mean embedding with outlier faces left out) and skipped.jsonl (frames left
// out, with the reason). Running it again on the same folder continues where it stopped.

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/events.h"
#include "models/face_analysers.h"
#include "options/extract_options.h"
#include "extract/face_frames.h"
#include "media/video_reader.h"

namespace wf::extract {

struct SourceOptions {
  std::vector<std::filesystem::path> inputs;  // photos, folders of photos, videos
  std::filesystem::path output;               // the dataset folder
  media::FrameSampling sampling;              // for videos
  std::optional<std::filesystem::path> reference;  // a photo of the person to keep; else the largest face
  int crop_size = options::kCropSize;  // FFHQ-aligned face crops
  float duplicate_similarity = 0.99f;         // a face this close to the last kept one of the same input...
  float duplicate_motion = 0.02f;             // ...whose keypoints moved less than this x eye distance is a repeat
  float outlier_similarity = 0.5f;            // faces less similar than this to the mean leave the identity
};

struct SourceSummary {
  int frames = 0;       // frames and photos looked at
  int faces = 0;        // faces in the dataset (including ones from an earlier, interrupted run)
  int duplicates = 0;   // near-identical repeats skipped
  int without_face = 0; // frames where no (matching) face was found
  std::vector<std::string> outliers;  // ids left out of the identity
  std::vector<float> identity;        // mean embedding, L2-normalised
  std::vector<std::string> unreadable;  // inputs left out, one message each (file and reason)
  models::StageTimes times;
};

// `cancel` turning true stops it between frames with wf::Error(cancelled); what was written stays for a resume.
SourceSummary extract_source(const SourceOptions& options, models::FaceAnalysers& analysers, core::EventSink* events = nullptr,
                    const std::atomic<bool>* cancel = nullptr);

}  // namespace wf::extract
