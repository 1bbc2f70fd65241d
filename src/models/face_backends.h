#pragma once
// Face-analysis objects built from the model registry: the backends whose files are present, with the
// settings the tests on the packaged photos chose. A role with no usable backend is a missing_model
// error that says what `watserface doctor` would.

#include <memory>

#include "core/config.h"
#include "face/detector.h"
#include "face/embedder.h"
#include "face/landmarker_478.h"
#include "face/landmarker_68.h"

namespace wf::models {

// SCRFD (when the user provides it), BlazeFace (tfjs) and dlib HOG together: BlazeFace and SCRFD find
// turned and lowered faces, HOG is a second opinion on frontal ones; one box per face survives.
std::unique_ptr<face::FaceDetector> make_face_detector(const core::AppConfig& config);
face::Landmarker68 make_landmarker_68(const core::AppConfig& config);
face::Landmarker478 make_landmarker_478(const core::AppConfig& config);
// ArcFace (ONNX) when the user provides it, else the packaged MobileFace. Their vectors differ in size and
// meaning: embeddings are only compared within one backend.
std::unique_ptr<face::FaceEmbedder> make_face_embedder(const core::AppConfig& config);

}  // namespace wf::models
