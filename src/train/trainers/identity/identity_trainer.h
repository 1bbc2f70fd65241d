#pragma once
// Phase "Identity": trains an InstantID-style IdentityNet and IP-Adapter on the source dataset, with the base
// UNet, VAE and text encoder frozen. Each step: a face's VAE latents noised at a random timestep; the
// IdentityNet sees the noisy latents, the keypoint image and the identity tokens; the UNet sees the text and
// the identity tokens (through the IP-Adapter) plus the IdentityNet's residuals; the loss is the diffusion
// loss against the scheduler's target (epsilon or v), optionally min-SNR weighted.

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/events.h"
#include "options/identity_options.h"
#include "diffusion/ip_adapter.h"
#include "train/train_loop.h"
#include "train/trainers/denoising/denoising_task.h"
#include "train/trainers/identity/identity_data.h"

namespace wf::identity {

struct IdentityTrainOptions : denoising::DiffusionTrainOptions {
  std::filesystem::path dataset;     // watserface extract --source
  std::filesystem::path init;        // optional: an adapter folder (ours or InstantID's) to start from
  face::ControlImage control = face::ControlImage::keypoints_5;
  int epochs = 100;                  // train.steps and steps_per_epoch follow from it and the dataset
  std::string prompt = options::kIdentityPrompt;
  diffusion::ResamplerConfig resampler;  // embedding_dim and output_dim are taken from the data and the UNet
};

struct IdentityTrainResult {
  train::TrainResult train;
  std::size_t faces = 0;
  std::int64_t trainable_parameters = 0;
  std::vector<std::filesystem::path> samples;
};

// The trainer's options from resolved options (options/identity_options.h, dataset, output and model included) on
// `compute`: the one conversion `watserface train identity` and the pipeline share.
IdentityTrainOptions identity_train_options(const nlohmann::json& resolved, const core::ComputeChoice& compute);

IdentityTrainResult train_identity(const IdentityTrainOptions& options, core::EventSink* events = nullptr,
                                   const std::atomic<bool>* cancel = nullptr,
                                   std::optional<std::int64_t> stop_at = std::nullopt);

}  // namespace wf::identity
