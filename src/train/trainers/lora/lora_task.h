#pragma once
// One step of LoRA training (see lora_trainer.h) on the shared denoising task: the UNet (and optionally text
// encoder) with LoRA layers, the faces' captions, and the identity adapter frozen but active.

#include <optional>
#include <string>
#include <vector>

#include "diffusion/lora.h"
#include "train/trainers/denoising/denoising_task.h"
#include "train/trainers/denoising/face_training_data.h"
#include "diffusion/identity_adapter.h"
#include "train/trainers/lora/lora_options.h"

namespace wf::lora {

class LoraTask : public denoising::DenoisingTask {
 public:
  // Freezes `sd`'s models, loads the identity adapter (when options.identity is set) and adds fresh LoRA layers
  // seeded from `seed`. Throws invalid_input naming the face whose caption is too long, and the identity
  // adapter whose embeddings are not the dataset's width.
  LoraTask(const LoraTrainOptions& options, const denoising::FaceTrainingData& data, diffusion::StableDiffusion& sd,
           std::uint64_t seed);

  torch::nn::Module& model() override { return lora_.module(); }
  const diffusion::LoraSet& lora() const { return lora_; }
  const std::vector<std::string>& captions() const { return unique_captions_; }

 private:
  at::Tensor predict(const at::Tensor& index, const at::Tensor& noisy, const at::Tensor& timesteps) override;
  at::Tensor render_sample() override;
  at::Tensor text_context(const at::Tensor& caption_index);  // [B, 77, C]

  const LoraTrainOptions& options_;
  const denoising::FaceTrainingData& data_;
  std::vector<std::string> unique_captions_;
  at::Tensor caption_index_;  // [N]: face -> unique caption
  at::Tensor token_ids_;      // [U, 77]
  at::Tensor contexts_;       // [U, 77, C], cached while the text encoder is frozen
  diffusion::IdentityAdapter identity_{nullptr};
  diffusion::LoraSet lora_;
  bool train_text_encoder_ = false;
};

}  // namespace wf::lora
