#pragma once
// Trains XSeg (nn::Unet, smp keys) on a target dataset with BCE + Dice loss, reports held-out IoU and Dice
// every epoch, and writes the model folder: config.json + model.safetensors (loadable by
// segmentation_models_pytorch), with checkpoints/ beside them for exact resume.

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/events.h"
#include "train/train_loop.h"
#include "core/device.h"
#include "options/xseg_options.h"

namespace wf::xseg {

struct XSegTrainOptions {
  std::filesystem::path dataset;  // a target dataset (watserface extract --target)
  std::filesystem::path output;   // the XSeg model folder
  int resolution = options::kXSegResolution;  // a multiple of 32 in the range options/xseg_options.h gives
  int epochs = options::kXSegEpochs;
  double held_out_fraction = 0.1;
  train::TrainSettings train;     // steps and steps_per_epoch are derived from epochs and the dataset
  std::string device = "cpu";     // "cpu" or "cuda"
};

struct XSegTrainResult {
  train::TrainResult train;
  double held_out_iou = 0, held_out_dice = 0;
  std::size_t train_faces = 0, held_out_faces = 0;
};

// The trainer's options from resolved options (options/xseg_options.h, dataset and output included) on `compute`:
// the one conversion `watserface train xseg` and the pipeline share.
XSegTrainOptions xseg_train_options(const nlohmann::json& resolved, const core::ComputeChoice& compute);

XSegTrainResult train_xseg(const XSegTrainOptions& options, core::EventSink* events = nullptr,
                           const std::atomic<bool>* cancel = nullptr, std::optional<std::int64_t> stop_at = std::nullopt);

// Soft Dice loss of logits against 0/1 targets (1 - Dice, averaged over the batch).
at::Tensor dice_loss(const at::Tensor& logits, const at::Tensor& target);
// The loss XSeg trains with: binary cross-entropy on the logits plus the soft Dice loss.
at::Tensor mask_loss(const at::Tensor& logits, const at::Tensor& target);
// IoU and Dice of thresholded probabilities (> 0.5) over every pixel of the batch.
std::map<std::string, double> mask_metrics(const at::Tensor& logits, const at::Tensor& target);

}  // namespace wf::xseg
