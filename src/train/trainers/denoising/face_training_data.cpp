#include "train/trainers/denoising/face_training_data.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "media/image_io.h"
#include "nn/image_tensor.h"

namespace wf::denoising {
FaceTrainingData::FaceTrainingData(const std::filesystem::path& folder, const FaceDataRequest& request) {
  const dataset::DatasetCard card = dataset::read_card(folder);
  if (card.kind != request.kind) {
    throw Error(ErrorCode::invalid_input, "this is a " + card.kind + " dataset; " + request.purpose, folder,
                request.fix);
  }
  const std::vector<dataset::FaceRecord> records = dataset::read_records(folder);
  if (records.empty()) {
    throw Error(ErrorCode::invalid_input, "the dataset has no faces", folder, "extract the " + request.kind + " again");
  }
  const int resolution = request.resolution;
  std::vector<at::Tensor> images, controls, embeddings;
  for (const auto& record : records) {
    if (request.embeddings && record.embedding.empty()) {
      throw Error(ErrorCode::invalid_input, "face " + record.id + " has no identity embedding", folder,
                  "extract again with a face embedder installed (watserface doctor lists them)");
    }
    if (request.embeddings && !embeddings.empty() &&
        static_cast<int64_t>(record.embedding.size()) != embeddings.front().size(0)) {
      throw Error(ErrorCode::invalid_input,
                  "face " + record.id + " has a " + std::to_string(record.embedding.size()) +
                      "-wide embedding, the first face a " + std::to_string(embeddings.front().size(0)) + "-wide one",
                  folder, "extract the whole dataset with one embedder");
    }
    const cv::Mat bgr = media::read_image(folder / record.file_name());
    const double scale = static_cast<double>(resolution) / bgr.cols;
    cv::Mat resized;
    cv::resize(bgr, resized, {resolution, resolution}, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    images.push_back(nn::rgb_tensor(resized) * 2 - 1);
    if (request.control == face::ControlImage::face_mesh && record.landmarks_478.empty()) {
      throw Error(ErrorCode::invalid_input,
                  "face " + record.id + " has no 478-point landmarks for the face-mesh control", folder,
                  "extract with the 478-point landmarker, or use the five-keypoint control");
    }
    if (request.control) {
      controls.push_back(face::draw_control_image(*request.control, resolution, static_cast<float>(scale), record.keypoints_5,
                                            record.landmarks_478));
    }
    if (request.embeddings) embeddings.push_back(at::tensor(record.embedding, at::kFloat));
    ids_.push_back(record.id);
    captions_.push_back(record.text);
  }
  images_ = at::stack(images);
  if (!controls.empty()) controls_ = at::stack(controls);
  if (!embeddings.empty()) embeddings_ = at::stack(embeddings);
}

FaceTrainingData::FaceTrainingData(std::vector<std::string> ids, at::Tensor images, at::Tensor controls,
                                   at::Tensor embeddings, std::vector<std::string> captions)
    : ids_(std::move(ids)),
      captions_(std::move(captions)),
      images_(std::move(images)),
      controls_(std::move(controls)),
      embeddings_(std::move(embeddings)) {
  const auto n = static_cast<int64_t>(ids_.size());
  if (captions_.empty()) captions_.resize(ids_.size());
  const bool fits = n > 0 && images_.size(0) == n && (!controls_.defined() || controls_.size(0) == n) &&
                    (!embeddings_.defined() || embeddings_.size(0) == n) && static_cast<int64_t>(captions_.size()) == n;
  if (!fits)
    throw Error(ErrorCode::invalid_input,
                "face training data needs one image (and control image, embedding, caption) per face");
}

}  // namespace wf::denoising
