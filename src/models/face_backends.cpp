#include "models/face_backends.h"

#include "core/error.h"
#include "models/registry.h"

namespace wf::models {
namespace {

const BackendStatus* find_backend(const std::vector<RoleStatus>& roles, std::string_view role, std::string_view id) {
  for (const auto& status : roles) {
    if (status.spec->id != role) continue;
    for (const auto& backend : status.backends) {
      if (backend.spec->id == id) return &backend;
    }
  }
  return nullptr;
}

Error missing(std::string_view role, const std::filesystem::path& file) {
  return Error(ErrorCode::missing_model, "no usable " + std::string(role) + " model is installed", file,
               "run scripts/setup, then `watserface doctor` to see what is still missing");
}

// The files of a backend that must be present.
std::vector<std::filesystem::path> files_of(const std::vector<RoleStatus>& roles, std::string_view role,
                                                   std::string_view id) {
  const BackendStatus* backend = find_backend(roles, role, id);
  WF_CHECK(backend, "unknown backend");
  if (!backend->available) throw missing(role, backend->missing.empty() ? "" : backend->missing.front());
  return backend->found;
}

}  // namespace

std::unique_ptr<face::FaceDetector> make_face_detector(const core::AppConfig& config) {
  const auto roles = check_models(config);
  std::vector<std::unique_ptr<face::FaceDetector>> detectors;
  const BackendStatus* scrfd = find_backend(roles, "face_detector", "scrfd");
  if (scrfd && scrfd->available) {
    detectors.push_back(face::make_scrfd_detector(scrfd->found.front(), {.min_score = 0.5f, .min_face = 24.f}));
  }
  const BackendStatus* blazeface = find_backend(roles, "face_detector", "blazeface");
  if (blazeface && blazeface->available) {
    detectors.push_back(face::make_blazeface_detector(blazeface->found.front(), {.min_score = 0.5f, .min_face = 24.f}));
  }
  // HOG scans 80 px windows; enlarging the frame for smaller faces costs 4x and BlazeFace covers them.
  detectors.push_back(face::make_dlib_hog_detector({.min_score = 0.6f, .min_face = 80.f}));
  return face::make_ensemble_detector(std::move(detectors), {.min_score = 0.5f, .min_face = 24.f, .nms_iou = 0.3f});
}

face::Landmarker68 make_landmarker_68(const core::AppConfig& config) {
  return face::Landmarker68(files_of(check_models(config), "landmarks_68", "dlib_shape_predictor").front());
}

face::Landmarker478 make_landmarker_478(const core::AppConfig& config) {
  const auto files = files_of(check_models(config), "landmarks_478", "facemesh_iris");
  return face::Landmarker478(files.at(0), files.at(2));  // facemesh.json, .bin, iris.json, .bin
}

std::unique_ptr<face::FaceEmbedder> make_face_embedder(const core::AppConfig& config) {
  const auto roles = check_models(config);
  const BackendStatus* arcface = find_backend(roles, "face_embedder", "arcface");
  if (arcface && arcface->available) return face::make_onnx_embedder(arcface->found.front());
  return face::make_tfjs_embedder(files_of(roles, "face_embedder", "mobileface").front(), 112);
}

}  // namespace wf::models
