#include "train/trainers/identity/identity_data.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "face/keypoint_image.h"
#include "media/image_io.h"
#include "nn/image_tensor.h"

namespace wf::identity {
IdentityData::IdentityData(const std::filesystem::path& folder, int resolution) {
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
    std::array<cv::Point2f, 5> keypoints = record.keypoints_5;
    for (auto& p : keypoints) p *= static_cast<float>(scale);
    cv::Mat drawing_bgr;  // the drawing is RGB; rgb_tensor reads BGR
    cv::cvtColor(face::draw_keypoints_5({resolution, resolution}, keypoints), drawing_bgr, cv::COLOR_RGB2BGR);
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
