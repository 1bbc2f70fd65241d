#include "train/trainers/identity/identity_task.h"

#include <torch/torch.h>

#include "core/error.h"
#include "diffusion/pipeline.h"
#include "diffusion/unet_2d_blocks.h"

namespace wf::identity {

IdentityTask::IdentityTask(const IdentityTrainOptions& options, const denoising::FaceTrainingData& data,
                           diffusion::StableDiffusion& sd,
                           std::uint64_t seed)
    : DenoisingTask(sd, options, data.images(), seed),
      options_(options),
      data_(data) {
  {
    torch::NoGradGuard no_grad;
    text_ = diffusion::encode_prompt(sd_, options.prompt).to(at::kFloat);
    empty_text_ = diffusion::encode_prompt(sd_, "").to(at::kFloat);
  }
  diffusion::ResamplerConfig resampler = options.resampler;
  resampler.embedding_dim = data.embedding_dim();
  resampler.output_dim = sd_.unet->config().cross_attention_dim;
  if (!options.init.empty()) {
    const auto init_resampler = diffusion::read_identity_adapter_info(options.init).resampler;
    if (init_resampler.embedding_dim != data.embedding_dim()) {
      throw Error(ErrorCode::invalid_input,
                  "the adapter to start from takes " + std::to_string(init_resampler.embedding_dim) +
                      "-wide face embeddings; the dataset's are " + std::to_string(data.embedding_dim()) + " wide",
                  options.init, "extract the source with the embedder the adapter was trained with (ArcFace for InstantID)");
    }
    resampler = init_resampler;
  }
  info_ = {resampler, std::string(face::to_string(options.control)), options.prompt, options.resolution};
  torch::manual_seed(train::step_seed(seed, -1, -1));  // the same initial weights in every run with this seed
  adapter_ = diffusion::IdentityAdapter(sd_.unet, resampler);
  if (!options.init.empty()) diffusion::load_identity_adapter(options.init, *adapter_);
  adapter_->to(device_);
  diffusion::set_gradient_checkpointing(*sd_.unet, options.gradient_checkpointing);
  diffusion::set_gradient_checkpointing(*adapter_->controlnet, options.gradient_checkpointing);
}

at::Tensor IdentityTask::predict(const at::Tensor& index, const at::Tensor& noisy, const at::Tensor& timesteps) {
  return adapter_->predict(sd_.unet, noisy, timesteps, text_.expand({noisy.size(0), -1, -1}),
                           data_.embeddings().index_select(0, index).to(device_),
                           data_.controls().index_select(0, index).to(device_));
}

at::Tensor IdentityTask::render_sample() {
  diffusion::GenerationRequest request;
  adapter_->condition(request, data_.embeddings().slice(0, 0, 1).to(device_), text_, empty_text_, data_.controls().slice(0, 0, 1));
  request.width = request.height = options_.resolution;
  request.steps = options_.sample_steps;
  request.guidance_scale = 5.0;
  request.seed = 42;
  diffusion::ControlNetModel controlnet = adapter_->controlnet;
  return diffusion::generate(sd_, request, &controlnet).image;
}

}  // namespace wf::identity
