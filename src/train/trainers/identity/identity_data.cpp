#include "train/trainers/identity/identity_data.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "face/face_mesh_image.h"
#include "face/keypoint_image.h"
#include "media/image_io.h"
#include "nn/image_tensor.h"

namespace wf::identity {
std::string_view to_string(ControlImage control) {
  return control == ControlImage::face_mesh ? "face_mesh" : "keypoints_5";
}

ControlImage parse_control_image(std::string_view text) {
  if (text == "keypoints_5") return ControlImage::keypoints_5;
  if (text == "face_mesh") return ControlImage::face_mesh;
  throw Error(ErrorCode::invalid_input, "unknown control image '" + std::string(text) + "'", {},
              "use keypoints_5 (InstantID's) or face_mesh");
}

IdentityData::IdentityData(const std::filesystem::path& folder, int resolution, ControlImage control) {
  const dataset::DatasetCard card = dataset::read_card(folder);
  if (card.kind != "source") {
    throw Error(ErrorCode::invalid_input, "this is a " + card.kind + " dataset; identity training learns the source face",
                folder, "give the dataset of watserface extract --source");
  }
  const std::vector<dataset::FaceRecord> records = dataset::read_records(folder);
  if (records.empty()) {
    throw Error(ErrorCode::invalid_input, "the dataset has no faces", folder, "extract the source photos or clip again");
  }
  std::vector<at::Tensor> images, controls, embeddings;
  for (const auto& record : records) {
    if (record.embedding.empty()) {
      throw Error(ErrorCode::invalid_input, "face " + record.id + " has no identity embedding", folder,
                  "extract the source again with a face embedder installed (watserface doctor lists them)");
    }
    if (!embeddings.empty() && static_cast<int64_t>(record.embedding.size()) != embeddings.front().size(0)) {
      throw Error(ErrorCode::invalid_input,
                  "face " + record.id + " has a " + std::to_string(record.embedding.size()) + "-wide embedding, the first face a " +
                      std::to_string(embeddings.front().size(0)) + "-wide one",
                  folder, "extract the whole dataset with one embedder");
    }
    const cv::Mat bgr = media::read_image(folder / record.file_name());
    const double scale = static_cast<double>(resolution) / bgr.cols;
    cv::Mat resized;
    cv::resize(bgr, resized, {resolution, resolution}, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    images.push_back(nn::rgb_tensor(resized) * 2 - 1);
    cv::Mat drawing;
    if (control == ControlImage::face_mesh) {
      if (record.landmarks_478.empty()) {
        throw Error(ErrorCode::invalid_input, "face " + record.id + " has no 478-point landmarks for the face-mesh control",
                    folder, "extract with the 478-point landmarker, or train with the five-keypoint control");
      }
      std::vector<cv::Point3f> landmarks = record.landmarks_478;
      for (auto& p : landmarks) p *= static_cast<float>(scale);
      drawing = face::draw_face_mesh({resolution, resolution}, landmarks);
    } else {
      std::array<cv::Point2f, 5> keypoints = record.keypoints_5;
      for (auto& p : keypoints) p *= static_cast<float>(scale);
      drawing = face::draw_keypoints_5({resolution, resolution}, keypoints);
    }
    cv::Mat drawing_bgr;  // the drawings are RGB; rgb_tensor reads BGR
    cv::cvtColor(drawing, drawing_bgr, cv::COLOR_RGB2BGR);
    controls.push_back(nn::rgb_tensor(drawing_bgr));
    embeddings.push_back(at::tensor(record.embedding, at::kFloat));
    ids_.push_back(record.id);
  }
  images_ = at::stack(images);
  controls_ = at::stack(controls);
  embeddings_ = at::stack(embeddings);
}

IdentityData::IdentityData(std::vector<std::string> ids, at::Tensor images, at::Tensor controls, at::Tensor embeddings)
    : ids_(std::move(ids)), images_(std::move(images)), controls_(std::move(controls)), embeddings_(std::move(embeddings)) {
  const auto n = static_cast<int64_t>(ids_.size());
  if (n == 0 || images_.size(0) != n || controls_.size(0) != n || embeddings_.size(0) != n) {
    throw Error(ErrorCode::invalid_input, "identity data needs one image, control image and embedding per face");
  }
}

}  // namespace wf::identity
