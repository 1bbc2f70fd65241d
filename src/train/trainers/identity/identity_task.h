#pragma once
// One step of identity training (see identity_trainer.h) on the shared denoising task: the trainable
// IdentityAdapter's prediction, the prompt's context cached.

#include "train/trainers/denoising/denoising_task.h"
#include "diffusion/identity_adapter.h"
#include "train/trainers/identity/identity_data.h"
#include "train/trainers/identity/identity_trainer.h"

namespace wf::identity {

class IdentityTask : public denoising::DenoisingTask {
 public:
  // Freezes `sd`'s models, caches the data's latents and the prompt's context, and builds (or, with
  // options.init, loads) the adapter from the seed.
  IdentityTask(const IdentityTrainOptions& options, const denoising::FaceTrainingData& data, diffusion::StableDiffusion& sd,
               std::uint64_t seed);

  torch::nn::Module& model() override { return *adapter_; }
  diffusion::IdentityAdapter& adapter() { return adapter_; }
  const diffusion::IdentityAdapterInfo& info() const { return info_; }

 private:
  at::Tensor predict(const at::Tensor& index, const at::Tensor& noisy, const at::Tensor& timesteps) override;
  at::Tensor render_sample() override;

  const IdentityTrainOptions& options_;
  const denoising::FaceTrainingData& data_;
  at::Tensor text_, empty_text_;
  diffusion::IdentityAdapterInfo info_;
  diffusion::IdentityAdapter adapter_{nullptr};
};

}  // namespace wf::identity
