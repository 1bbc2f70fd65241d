#pragma once
// The classic swapper of the FaceFusion era (InsightFace's inswapper_128 and files shaped like it), for models
// users already have: the target aligned to the ArcFace template at 128 pixels (input "target", [1, 3, 128, 128]
// RGB in [0, 1]), the source as a latent made from its ArcFace embedding through the model's own embedding map
// (the graph's last initializer; input "source", [1, 512]), the face out ("output", same layout). Run by OpenCV's
// DNN module, so no ONNX runtime is needed.

#include <filesystem>
#include <memory>

#include "swap/source_faces.h"
#include "swap/swap_engine.h"
#include "swap/swap_engines.h"

namespace wf::swap {

class OnnxSwapEngine final : public SwapEngine {
 public:
  // Throws wf::Error: missing_model for an absent file; corrupt_file for one OpenCV cannot read; invalid_input when
  // the source embeddings are not as wide as the model's embedding map.
  OnnxSwapEngine(const SourceFaces& source, const std::filesystem::path& model);
  ~OnnxSwapEngine() override;
  SwappedFace swap(const SwapFace& face) override;
  bool reconfigure(const SwapOptions&) override { return true; }  // nothing of its own to change

  // The model on one 128x128 ArcFace-aligned BGR crop.
  cv::Mat swap_aligned(const cv::Mat& aligned);
  const std::vector<float>& latent() const { return latent_; }

 private:
  struct Model;  // the cv::dnn::Net, kept out of this header
  std::unique_ptr<Model> model_;
  std::vector<float> latent_;  // the source's, [512]
  int size_ = 128;
};


// Its row in swap_engines.cpp: the model file from the swap's inputs (unless one was named), and review's steps
// (as swapped, a grown mask, a shrunk mask).
void configure_onnx(SwapOptions& options, const EngineInputs& inputs);
void onnx_repairs(RepairLadder& ladder);

}  // namespace wf::swap
