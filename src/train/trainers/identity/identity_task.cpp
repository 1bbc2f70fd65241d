#include "train/trainers/identity/identity_task.h"

#include <torch/torch.h>


#include "core/error.h"
#include "core/torch_compat.h"
#include "diffusion/pipeline.h"
#include "diffusion/unet_2d_blocks.h"
#include "media/image_io.h"
#include "nn/image_tensor.h"

namespace wf::identity {
namespace {
namespace fs = std::filesystem;

void freeze(torch::nn::Module& module) {
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

}  // namespace

IdentityTask::IdentityTask(const IdentityTrainOptions& options, const IdentityData& data, diffusion::StableDiffusion& sd,
                         std::uint64_t seed)
    : options_(options), data_(data), sd_(sd), device_(options.device), schedule_(sd.scheduler), order_(data.size(), seed) {
  if (sd_.unet->config().in_channels != 4) {
    throw Error(ErrorCode::invalid_input, "the base model is an inpainting model (its UNet takes " +
                                              std::to_string(sd_.unet->config().in_channels) + " channels)",
                sd_.source, "train identity on the standard Stable Diffusion 1.5; the swap uses inpainting later");
  }
  freeze(*sd_.unet);
  freeze(*sd_.vae);
  freeze(*sd_.text_encoder);
  {
    torch::NoGradGuard no_grad;
    text_ = diffusion::encode_prompt(sd_, options.prompt).to(at::kFloat);
    empty_text_ = diffusion::encode_prompt(sd_, "").to(at::kFloat);
    std::vector<at::Tensor> latents;
    for (int64_t i = 0; i < static_cast<int64_t>(data.size()); i += 4) {
      const at::Tensor images = data.images().slice(0, i, std::min<int64_t>(i + 4, data.size())).to(device_);
      const at::Tensor pixels = images.to(sd_.vae->parameters().front().scalar_type());
      latents.push_back((sd_.vae->encode(pixels).first * sd_.vae->config().scaling_factor).to(at::kFloat));
    }
    latents_ = at::cat(latents);
  }
  diffusion::ResamplerConfig resampler = options.resampler;
  resampler.embedding_dim = data.embedding_dim();
  resampler.output_dim = sd_.unet->config().cross_attention_dim;
  if (!options.init.empty()) {
    const auto init_resampler = read_identity_adapter_info(options.init).resampler;
    if (init_resampler.embedding_dim != data.embedding_dim()) {
      throw Error(ErrorCode::invalid_input,
                  "the adapter to start from takes " + std::to_string(init_resampler.embedding_dim) +
                      "-wide face embeddings; the dataset's are " + std::to_string(data.embedding_dim()) + " wide",
                  options.init, "extract the source with the embedder the adapter was trained with (ArcFace for InstantID)");
    }
    resampler = init_resampler;
  }
  info_ = {resampler, std::string(to_string(options.control)), options.prompt, options.resolution};
  torch::manual_seed(train::step_seed(seed, -1, -1));  // the same initial weights in every run with this seed
  adapter_ = IdentityAdapter(sd_.unet, resampler);
  if (!options.init.empty()) load_identity_adapter(options.init, *adapter_);
  adapter_->to(device_);
  diffusion::set_gradient_checkpointing(*sd_.unet, options.gradient_checkpointing);
  diffusion::set_gradient_checkpointing(*adapter_->controlnet, options.gradient_checkpointing);
}

at::Tensor IdentityTask::loss(std::int64_t step, std::int64_t micro, std::int64_t batch_size) {
  if (micro == 0 && options_.sample_every > 0 && step % options_.sample_every == 0) write_sample(step);
  std::vector<int64_t> indices;
  for (const std::size_t i : order_.batch(step * effective_batch_ + micro * batch_size, batch_size)) {
    indices.push_back(static_cast<int64_t>(i));
  }
  const at::Tensor index = at::tensor(indices, at::kLong);
  const at::Tensor timesteps =
      at::randint(0, sd_.scheduler.num_train_timesteps, {batch_size}, at::TensorOptions(at::kLong));
  const at::Tensor x0 = latents_.index_select(0, index.to(device_));
  const at::Tensor noise = at::randn(x0.sizes(), at::TensorOptions(at::kFloat)).to(x0.options());
  return diffusion_loss(index, x0, noise, timesteps, options_.snr_gamma);
}

std::map<std::string, double> IdentityTask::evaluate() {
  torch::NoGradGuard no_grad;
  const int64_t count = std::min<int64_t>(8, data_.size());
  at::Generator generator = at::detail::createCPUGenerator(1234);
  const at::Tensor index = at::arange(count, at::kLong);
  const at::Tensor timesteps = at::randint(0, sd_.scheduler.num_train_timesteps, {count}, generator, at::TensorOptions(at::kLong));
  const at::Tensor x0 = latents_.slice(0, 0, count);
  const at::Tensor noise = at::randn(x0.sizes(), generator, at::TensorOptions(at::kFloat)).to(x0.options());
  return {{"fixed_loss", diffusion_loss(index, x0, noise, timesteps, 0).item<double>()}};
}

at::Tensor IdentityTask::diffusion_loss(const at::Tensor& index, const at::Tensor& x0, const at::Tensor& noise, const at::Tensor& timesteps,
                          double snr_gamma) {
  const at::Tensor t = timesteps.to(device_);
  const at::Tensor noisy = schedule_.add_noise(x0, noise, timesteps);
  const at::Tensor tokens = adapter_->ip_adapter->image_tokens(data_.embeddings().index_select(0, index).to(device_));
  const at::Tensor context = adapter_->ip_adapter->context(text_.expand({x0.size(0), -1, -1}), tokens);
  const at::Tensor control = data_.controls().index_select(0, index).to(device_);
  const diffusion::ControlResiduals residuals = adapter_->controlnet->forward(noisy, t, tokens, control);
  const at::Tensor prediction = sd_.unet->forward(noisy, t, context, &residuals);
  const at::Tensor target = schedule_.training_target(x0, noise, timesteps);
  const at::Tensor per_sample = (prediction.to(at::kFloat) - target.to(at::kFloat)).square().mean({1, 2, 3});
  if (snr_gamma <= 0) return per_sample.mean();
  // min-SNR weighting (Hang et al. 2023): min(SNR, gamma) / SNR, over SNR + 1 for v-prediction.
  const at::Tensor a = schedule_.alphas_cumprod().index_select(0, timesteps.cpu()).to(per_sample.options());
  const at::Tensor snr = a / (1 - a);
  const bool v = sd_.scheduler.prediction_type == diffusion::PredictionType::v_prediction;
  const at::Tensor weight = at::clamp_max(snr, snr_gamma) / (v ? snr + 1 : snr);
  return (per_sample * weight).mean();
}

void IdentityTask::write_sample(std::int64_t step) {
  const bool was_training = adapter_->is_training();
  adapter_->eval();
  const at::Tensor embedding = data_.embeddings().slice(0, 0, 1).to(device_);
  at::Tensor tokens, empty_tokens;
  {
    torch::NoGradGuard no_grad;
    tokens = adapter_->ip_adapter->image_tokens(embedding);
    empty_tokens = adapter_->ip_adapter->image_tokens(at::zeros_like(embedding));
  }
  diffusion::GenerationRequest request;
  request.prompt_embeds = adapter_->ip_adapter->context(text_, tokens);
  request.negative_prompt_embeds = adapter_->ip_adapter->context(empty_text_, empty_tokens);
  request.controlnet_prompt_embeds = tokens;
  request.negative_controlnet_prompt_embeds = empty_tokens;
  request.control_image = data_.controls().slice(0, 0, 1);
  request.width = request.height = options_.resolution;
  request.steps = options_.sample_steps;
  request.guidance_scale = 5.0;
  request.seed = 42;
  diffusion::ControlNetModel controlnet = adapter_->controlnet;
  const bool half = device_.is_cuda() && options_.train.precision != core::Precision::fp32;
  const core::CudaAutocast autocast(half, options_.train.precision == core::Precision::bf16 ? at::kBFloat16 : at::kHalf);
  const diffusion::GenerationResult result = diffusion::generate(sd_, request, &controlnet);
  char name[32];
  std::snprintf(name, sizeof name, "step-%09lld.png", static_cast<long long>(step));
  const fs::path path = options_.output / "samples" / name;
  fs::create_directories(path.parent_path());
  media::write_image(path, nn::bgr_image(result.image));
  samples_.push_back(path);
  if (events_) {
    core::Event event;
    event.phase = phase_;
    event.kind = core::EventKind::sample;
    event.step = step;
    event.message = path.string();
    events_->emit(event);
  }
  if (was_training) adapter_->train();
}

}  // namespace wf::identity
