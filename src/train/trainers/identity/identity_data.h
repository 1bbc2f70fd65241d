#pragma once
// A source dataset as the identity trainer reads it: each face's crop at the training resolution, the control
// image drawn from its keypoints (or mesh), and its identity embedding, all checked before a model loads.

#include <filesystem>

#include "train/trainers/denoising/face_training_data.h"

namespace wf::identity {

class IdentityData : public denoising::FaceTrainingData {
 public:
  IdentityData(const std::filesystem::path& folder, int resolution, face::ControlImage control = face::ControlImage::keypoints_5);
  using FaceTrainingData::FaceTrainingData;
};

}  // namespace wf::identity
