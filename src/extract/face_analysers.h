#pragma once
// The four face models every extraction runs, loaded once from the model registry.

#include <memory>

#include "core/config.h"
#include "face/detector.h"
#include "face/embedder.h"
#include "face/landmarker_478.h"
#include "face/landmarker_68.h"

namespace wf::extract {

struct FaceAnalysers {
  std::unique_ptr<face::FaceDetector> detector;
  face::Landmarker68 landmarks_68;
  face::Landmarker478 landmarks_478;
  std::unique_ptr<face::FaceEmbedder> embedder;
  std::string embedder_name;  // recorded in dataset.json: embeddings compare only within one embedder
};

FaceAnalysers load_face_analysers(const core::AppConfig& config);

}  // namespace wf::extract
