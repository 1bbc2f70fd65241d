#pragma once
// The source person as the swap engines use them: every face of the source dataset with its aligned crop and
// landmarks, and the mean identity embedding (what the generative and ONNX engines condition on and what
// review measures against).

#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

namespace wf::swap {

struct SourceFace {
  std::string id;
  cv::Mat crop;                            // BGR, FFHQ-aligned
  std::vector<cv::Point2f> landmarks_68;   // crop pixels
  std::vector<cv::Point3f> landmarks_478;  // crop pixels, empty when the mesh model saw none
};

struct SourceFaces {
  std::vector<SourceFace> faces;
  std::vector<float> mean_embedding;  // L2-normalised mean of the faces' embeddings (empty when they have none)
};

// Throws wf::Error naming `dataset`: not a source dataset, no faces, faces without 68 landmarks.
SourceFaces load_source_faces(const std::filesystem::path& dataset);

}  // namespace wf::swap
