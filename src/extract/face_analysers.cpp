#include "extract/face_analysers.h"

#include "models/face_backends.h"

namespace wf::extract {

FaceAnalysers load_face_analysers(const core::AppConfig& config) {
  auto embedder = models::make_face_embedder(config);
  const std::string name = embedder->dimension() == 256 ? "mobileface" : "arcface";
  return {models::make_face_detector(config), models::make_landmarker_68(config), models::make_landmarker_478(config),
          std::move(embedder), name};
}

}  // namespace wf::extract
