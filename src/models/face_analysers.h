#pragma once
// The four face models every extraction runs, loaded once from the model registry, and what they make of one
// face in a frame (extraction writes it to a dataset, review scores it against the source).

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "face/detector.h"
#include "face/embedder.h"
#include "face/landmarker_478.h"
#include "face/landmarker_68.h"

namespace wf::models {

struct FaceAnalysers {
  std::unique_ptr<face::FaceDetector> detector;
  face::Landmarker68 landmarks_68;
  face::Landmarker478 landmarks_478;
  std::unique_ptr<face::FaceEmbedder> embedder;
  std::string embedder_name;  // recorded in dataset.json: embeddings compare only within one embedder
};

FaceAnalysers load_face_analysers(const core::AppConfig& config);

// Seconds an extraction spent in each stage (the CLI and the benchmark report their shares).
struct StageTimes {
  double decode = 0, detect = 0, landmarks = 0, embed = 0, write = 0;
  double total() const { return decode + detect + landmarks + embed + write; }
};

// Adds the seconds between its construction and destruction to one stage.
class StageTimer {
 public:
  explicit StageTimer(double& seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  ~StageTimer() { seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

struct AnalysedFace {
  face::Detection detection;
  face::Keypoints5 keypoints;  // from the 478 points (iris centres) when the mesh model sees a face, else from 68
  face::Landmarks68 landmarks_68;
  std::optional<face::MeshResult> mesh;
  std::vector<float> embedding;
};

AnalysedFace analyse_face(FaceAnalysers& analysers, const cv::Mat& frame, const face::Detection& detection,
                          StageTimes& times);

// The embedding of the (best) face in a photo the user gave to say whom to keep; invalid_input without a face.
std::vector<float> reference_embedding(FaceAnalysers& analysers, const std::filesystem::path& photo);

}  // namespace wf::models
