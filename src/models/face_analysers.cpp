#include "models/face_analysers.h"

#include "core/error.h"
#include "face/aligner.h"
#include "media/image_io.h"
#include "models/face_backends.h"

namespace wf::models {

FaceAnalysers load_face_analysers(const core::AppConfig& config) {
  auto embedder = make_face_embedder(config);
  const std::string name = embedder->dimension() == 256 ? "mobileface" : "arcface";
  return {make_face_detector(config), make_landmarker_68(config), make_landmarker_478(config),
          std::move(embedder), name};
}

AnalysedFace analyse_face(FaceAnalysers& analysers, const cv::Mat& frame, const face::Detection& detection,
                          StageTimes& times) {
  AnalysedFace a{detection, {}, {}, {}, {}};
  {
    const StageTimer timer(times.landmarks);
    a.landmarks_68 = analysers.landmarks_68.landmarks(frame, detection.box);
    a.mesh = analysers.landmarks_478.landmarks(frame, detection.box);
    a.keypoints = a.mesh ? face::keypoints_from_478(a.mesh->points) : face::keypoints_from_68(a.landmarks_68, frame);
  }
  const StageTimer timer(times.embed);
  a.embedding = analysers.embedder->embed(frame, a.keypoints);
  return a;
}

std::vector<float> reference_embedding(FaceAnalysers& analysers, const std::filesystem::path& photo) {
  const cv::Mat image = media::read_image(photo);
  const auto faces = analysers.detector->detect(image);
  if (faces.empty()) {
    throw Error(ErrorCode::invalid_input, "no face found in the reference photo", photo,
                "use a photo where the person's face is clearly visible");
  }
  StageTimes unused;
  return analyse_face(analysers, image, faces.front(), unused).embedding;
}

}  // namespace wf::models
