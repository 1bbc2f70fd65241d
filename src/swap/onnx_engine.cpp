#include "swap/onnx_engine.h"

#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/aligner.h"
#include "swap/onnx_initializer.h"
#include "swap/repair_ladder.h"
#include "swap/swap_options.h"

namespace wf::swap {

struct OnnxSwapEngine::Model {
  cv::dnn::Net net;
};

namespace {

// InsightFace's norm_crop at 128 pixels: the 112-pixel ArcFace template moved 8 pixels right.
cv::Mat arcface_128(const std::array<cv::Point2f, 5>& keypoints) {
  cv::Mat matrix = face::alignment_matrix(keypoints, face::AlignTemplate::arcface, 112);
  matrix.at<double>(0, 2) += 8.0;
  return matrix;
}

}  // namespace

OnnxSwapEngine::OnnxSwapEngine(const SourceFaces& source, const std::filesystem::path& model)
    : model_(std::make_unique<Model>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec)) {
    throw Error(ErrorCode::missing_model, "the ONNX swapper model is not there", model,
                "put inswapper_128.onnx in models/face_swapper/ (watserface doctor), or use the offline engine");
  }
  const std::vector<OnnxTensor> initializers = read_onnx_initializers(model);
  if (initializers.empty() || initializers.back().dims.size() != 2 ||
      initializers.back().dims[0] != initializers.back().dims[1]) {
    throw Error(ErrorCode::invalid_input, "the model has no square embedding map as its last initializer", model,
                "use an inswapper_128-style model");
  }
  const OnnxTensor& emap = initializers.back();
  const auto width = static_cast<std::size_t>(emap.dims[0]);
  if (emap.values.size() != width * width) {
    throw Error(ErrorCode::unsupported, "the model's embedding map is not stored as float32 inside the file", model,
                "use the float32 inswapper_128.onnx as published (not an fp16 or external-data conversion)");
  }
  if (source.mean_embedding.size() != width) {
    throw Error(ErrorCode::invalid_input,
                "the swapper takes " + std::to_string(width) + "-wide ArcFace embeddings; the source dataset's are " +
                    std::to_string(source.mean_embedding.size()) + " wide",
                model, "extract the source with the ArcFace embedder (models/face_embedder/w600k_r50.onnx)");
  }
  // latent = normalise(embedding . emap), as InsightFace and FaceFusion prepare it.
  latent_.assign(width, 0.f);
  for (std::size_t i = 0; i < width; ++i) {
    for (std::size_t j = 0; j < width; ++j) latent_[j] += source.mean_embedding[i] * emap.values[i * width + j];
  }
  double norm = 0;
  for (const float v : latent_) norm += static_cast<double>(v) * v;
  for (float& v : latent_) v = static_cast<float>(v / std::max(std::sqrt(norm), 1e-12));
  try {
    model_->net = cv::dnn::readNetFromONNX(model.string());
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("OpenCV cannot run the model: ") + e.what(), model,
                "use an inswapper_128-style ONNX file");
  }
}

OnnxSwapEngine::~OnnxSwapEngine() = default;

cv::Mat OnnxSwapEngine::swap_aligned(const cv::Mat& aligned) {
  const cv::Mat target = cv::dnn::blobFromImage(aligned, 1.0 / 255, {size_, size_}, cv::Scalar(), true, false);
  const cv::Mat source(1, static_cast<int>(latent_.size()), CV_32F, latent_.data());
  model_->net.setInput(target, "target");
  model_->net.setInput(source, "source");
  const cv::Mat output = model_->net.forward("output");  // [1, 3, 128, 128] RGB in [0, 1]
  std::vector<cv::Mat> planes;
  for (int c = 2; c >= 0; --c) planes.emplace_back(size_, size_, CV_32F, const_cast<float*>(output.ptr<float>(0, c)));
  cv::Mat bgr;
  cv::merge(planes, bgr);
  bgr.convertTo(bgr, CV_8UC3, 255.0);
  return bgr;
}

SwappedFace OnnxSwapEngine::swap(const SwapFace& face) {
  const cv::Mat to_aligned = arcface_128(face.keypoints_5);  // crop -> 128 pixels
  cv::Mat aligned;
  cv::warpAffine(face.crop, aligned, to_aligned, {size_, size_}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const cv::Mat swapped = swap_aligned(aligned);
  // Back into the crop, with a mask of the 128 square (a little in from its edges) within the face's mask.
  SwappedFace out{face.crop.clone(), cv::Mat(), "mean"};
  cv::Mat back, square(size_, size_, CV_8U, cv::Scalar(255));
  cv::rectangle(square, {0, 0, size_, size_}, cv::Scalar(0), std::max(2, size_ / 32));
  cv::warpAffine(swapped, back, to_aligned, face.crop.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  cv::warpAffine(square, out.mask, to_aligned, face.crop.size(), cv::INTER_NEAREST | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::bitwise_and(out.mask, face.mask > 127, out.mask);
  back.copyTo(out.crop, out.mask);
  return out;
}


void configure_onnx(SwapOptions& options, const EngineInputs& inputs) {
  const auto file = inputs.model_files.find("face_swapper");
  if (options.onnx_model.empty() && file != inputs.model_files.end()) options.onnx_model = file->second;
}

void onnx_repairs(RepairLadder& ladder) {
  ladder.add("as swapped", nlohmann::json::object(), [](SwapOptions&) {});
  ladder.resized_mask(kRepairMaskStep);
  ladder.resized_mask(-kRepairMaskStep);
}

}  // namespace wf::swap
