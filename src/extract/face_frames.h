#pragma once
// What both extractions do with a face in a frame: analyse it (landmarks, keypoints, embedding), add it to
// a dataset (aligned crop, hull mask, record), and list the frames they leave out.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/events.h"
#include "dataset/imagefolder.h"
#include "extract/face_analysers.h"

namespace wf::extract {

struct AnalysedFace {
  face::Detection detection;
  face::Keypoints5 keypoints;  // from the 478 points (iris centres) when the mesh model sees a face, else from 68
  face::Landmarks68 landmarks_68;
  std::optional<face::MeshResult> mesh;
  std::vector<float> embedding;
};

AnalysedFace analyse_face(FaceAnalysers& analysers, const cv::Mat& frame, const face::Detection& detection);

// The embedding of the (best) face in a photo the user gave to say whom to keep; invalid_input without a face.
std::vector<float> reference_embedding(FaceAnalysers& analysers, const std::filesystem::path& photo);

// dataset.json's card for an extraction of this kind ("source" or "target") with these models.
dataset::DatasetCard extraction_card(const std::string& kind, const FaceAnalysers& analysers);

// A step event for a face written to the dataset (no-op without a sink).
void emit_extracted(core::EventSink* events, int frames_seen, const dataset::FaceRecord& record);

struct FrameOrigin {
  std::filesystem::path source;
  std::int64_t index = 0;
  double timestamp = 0;
  std::string id() const;  // <source stem>_<index, 6 digits>
};

// FFHQ-aligned crop of `crop_size`, landmarks moved into the crop's pixels, a feathered hull mask.
dataset::FaceRecord add_face(dataset::DatasetWriter& writer, const AnalysedFace& face, const cv::Mat& frame,
                             const FrameOrigin& origin, int crop_size);

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
