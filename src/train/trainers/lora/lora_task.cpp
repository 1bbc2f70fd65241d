#include "train/trainers/lora/lora_task.h"

#include <torch/torch.h>

#include <map>

#include "core/error.h"
#include "diffusion/pipeline.h"
#include "diffusion/unet_2d_blocks.h"

namespace wf::lora {

LoraTask::LoraTask(const LoraTrainOptions& options, const denoising::FaceTrainingData& data,
                   diffusion::StableDiffusion& sd, std::uint64_t seed)
    : DenoisingTask(sd, options, data.images(), seed),
      options_(options),
      data_(data),
      train_text_encoder_(!options.lora.text_encoder_target_modules.empty()) {
  std::map<std::string, int64_t> seen;
  std::vector<int64_t> index;
  std::vector<at::Tensor> ids;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::string caption = options.prompt.caption(data.captions()[i]);
    auto [it, fresh] = seen.emplace(caption, static_cast<int64_t>(unique_captions_.size()));
    if (fresh) {
      try {
        ids.push_back(diffusion::prompt_ids(sd_, caption));
      } catch (const Error& e) {
        throw Error(ErrorCode::invalid_input, "the caption of face " + data.ids()[i] + " is too long: " + e.what(),
                    options.dataset, "shorten its text in metadata.jsonl, or the prompt template");
      }
      unique_captions_.push_back(caption);
    }
    index.push_back(it->second);
  }
  caption_index_ = at::tensor(index, at::kLong);
  token_ids_ = at::cat(ids);
  if (!train_text_encoder_) {
    torch::NoGradGuard no_grad;
    contexts_ = sd_.text_encoder->forward(token_ids_).to(at::kFloat);
  }
  if (!options.identity.empty()) {
    identity_ =
        diffusion::load_frozen_identity_adapter(options.identity, diffusion::read_identity_adapter_info(options.identity),
                                               sd_.unet, data.embedding_dim(), "target", device_);
    diffusion::set_gradient_checkpointing(*identity_->controlnet, options.gradient_checkpointing);
  }
  torch::manual_seed(train::step_seed(seed, -1, -1));  // the same initial weights in every run with this seed
  lora_ = diffusion::LoraSet::inject(*sd_.unet, options.lora, train_text_encoder_ ? sd_.text_encoder.get() : nullptr);
  lora_.module().to(at::kFloat);  // fp32 master weights under a half-precision frozen model (autocast mixes them)
  diffusion::set_gradient_checkpointing(*sd_.unet, options.gradient_checkpointing);
}

at::Tensor LoraTask::text_context(const at::Tensor& caption_index) {
  const at::Tensor index = caption_index.to(device_);
  if (train_text_encoder_) return sd_.text_encoder->forward(token_ids_.index_select(0, index)).to(at::kFloat);
  return contexts_.index_select(0, index);
}

at::Tensor LoraTask::predict(const at::Tensor& index, const at::Tensor& noisy, const at::Tensor& timesteps) {
  const at::Tensor text = text_context(caption_index_.index_select(0, index));
  if (!identity_) return sd_.unet->forward(noisy, timesteps, text);
  return identity_->predict(sd_.unet, noisy, timesteps, text, data_.embeddings().index_select(0, index).to(device_),
                            data_.controls().index_select(0, index).to(device_));
}

at::Tensor LoraTask::render_sample() {
  diffusion::GenerationRequest request;
  const at::Tensor text = text_context(caption_index_.slice(0, 0, 1));
  const at::Tensor empty_text = diffusion::encode_prompt(sd_, "").to(at::kFloat);
  request.prompt_embeds = text;
  request.negative_prompt_embeds = empty_text;
  request.width = request.height = options_.resolution;
  request.steps = options_.sample_steps;
  request.guidance_scale = 5.0;
  request.seed = 42;
  if (!identity_) return diffusion::generate(sd_, request).image;
  identity_->condition(request, data_.embeddings().slice(0, 0, 1).to(device_), text, empty_text,
                       data_.controls().slice(0, 0, 1));
  diffusion::ControlNetModel controlnet = identity_->controlnet;
  return diffusion::generate(sd_, request, &controlnet).image;
}

}  // namespace wf::lora
