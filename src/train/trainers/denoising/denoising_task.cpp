#include "train/trainers/denoising/denoising_task.h"

#include <torch/torch.h>

#include <cstdio>

#include "core/compute_dtype.h"
#include "core/error.h"
#include "core/torch_compat.h"
#include "media/image_io.h"
#include "nn/image_tensor.h"

namespace wf::denoising {
namespace fs = std::filesystem;

void freeze(torch::nn::Module& module) {
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

diffusion::StableDiffusion load_base_model(const DiffusionTrainOptions& options, const std::string& training) {
  const fs::path& model = options.base_model;
  if (model.empty() || !fs::exists(model)) {
    throw Error(ErrorCode::missing_model, training + " needs Stable Diffusion 1.5, and it is not installed", model,
                "put a diffusers SD 1.5 folder in models/base_diffusion/stable-diffusion-v1-5/ (or one "
                "v1-5-pruned-emaonly.safetensors in models/base_diffusion/); the offline engine swaps without it");
  }
  diffusion::LoadOptions load;
  load.device = torch::Device(options.device);
  load.tokenizer_dir = options.tokenizer;
  load.dtype = core::compute_dtype(options.train.precision, load.device.is_cuda());
  return diffusion::StableDiffusion::load(model, load);
}

DenoisingTask::DenoisingTask(diffusion::StableDiffusion& sd, const DiffusionTrainOptions& options,
                             const at::Tensor& images, std::uint64_t seed)
    : sd_(sd),
      device_(options.device),
      options_(options),
      schedule_(sd.scheduler),
      order_(static_cast<std::size_t>(images.size(0)), seed),
      seed_(seed) {
  if (sd_.unet->config().in_channels != 4) {
    throw Error(ErrorCode::invalid_input,
                "the base model is an inpainting model (its UNet takes " +
                    std::to_string(sd_.unet->config().in_channels) + " channels)",
                sd_.source, "train on the standard Stable Diffusion 1.5; the swap uses inpainting later");
  }
  freeze(*sd_.unet);
  freeze(*sd_.vae);
  freeze(*sd_.text_encoder);
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> latents;
  const auto dtype = sd_.vae->parameters().front().scalar_type();
  for (int64_t i = 0; i < images.size(0); i += 4) {
    const at::Tensor pixels = images.slice(0, i, std::min<int64_t>(i + 4, images.size(0))).to(device_).to(dtype);
    latents.push_back((sd_.vae->encode(pixels).first * sd_.vae->config().scaling_factor).to(at::kFloat));
  }
  latents_ = at::cat(latents);
}

std::vector<at::Tensor> DenoisingTask::batch(std::int64_t step, std::int64_t micro, std::int64_t batch_size) {
  std::vector<int64_t> indices;
  for (const std::size_t i : order_.batch(step * effective_batch_ + micro * batch_size, batch_size)) {
    indices.push_back(static_cast<int64_t>(i));
  }
  at::Generator generator = at::detail::createCPUGenerator(train::step_seed(seed_, step, micro));
  std::vector<int64_t> noise_shape = latents_.sizes().vec();
  noise_shape.front() = batch_size;
  const at::Tensor timesteps =
      at::randint(0, sd_.scheduler.num_train_timesteps, {batch_size}, generator, at::TensorOptions(at::kLong));
  return {at::tensor(indices, at::kLong), timesteps, at::randn(noise_shape, generator, at::TensorOptions(at::kFloat))};
}

at::Tensor DenoisingTask::loss(const train::Batch& batch) {
  if (batch.micro == 0 && options_.sample_every > 0 && batch.step % options_.sample_every == 0) {
    write_sample(batch.step);
  }
  const at::Tensor& index = batch.tensors[0];
  const at::Tensor& timesteps = batch.tensors[1];
  const at::Tensor x0 = latents_.index_select(0, index.to(device_, /*non_blocking=*/true));
  const at::Tensor noise = batch.tensors[2].to(x0.options(), /*non_blocking=*/true);
  return denoising_loss(index, x0, noise, timesteps, options_.snr_gamma);
}

std::map<std::string, double> DenoisingTask::evaluate() {
  torch::NoGradGuard no_grad;
  const int64_t count = std::min<int64_t>(8, latents_.size(0));
  at::Generator generator = at::detail::createCPUGenerator(1234);
  const at::Tensor index = at::arange(count, at::kLong);
  const at::Tensor timesteps =
      at::randint(0, sd_.scheduler.num_train_timesteps, {count}, generator, at::TensorOptions(at::kLong));
  const at::Tensor x0 = latents_.slice(0, 0, count);
  const at::Tensor noise = at::randn(x0.sizes(), generator, at::TensorOptions(at::kFloat)).to(x0.options());
  return {{"fixed_loss", denoising_loss(index, x0, noise, timesteps, 0).item<double>()}};
}

at::Tensor DenoisingTask::denoising_loss(const at::Tensor& index, const at::Tensor& x0, const at::Tensor& noise,
                                         const at::Tensor& timesteps, double snr_gamma) {
  const at::Tensor noisy = schedule_.add_noise(x0, noise, timesteps);
  const at::Tensor prediction = predict(index, noisy, timesteps.to(device_));
  const at::Tensor target = schedule_.training_target(x0, noise, timesteps);
  const at::Tensor per_sample = (prediction.to(at::kFloat) - target.to(at::kFloat)).square().mean({1, 2, 3});
  if (snr_gamma <= 0) return per_sample.mean();
  // min-SNR weighting: min(SNR, gamma) / SNR, over SNR + 1 for v-prediction.
  const at::Tensor a = schedule_.alphas_cumprod().index_select(0, timesteps.cpu()).to(per_sample.options());
  const at::Tensor snr = a / (1 - a);
  const bool v = sd_.scheduler.prediction_type == diffusion::PredictionType::v_prediction;
  const at::Tensor weight = at::clamp_max(snr, snr_gamma) / (v ? snr + 1 : snr);
  return (per_sample * weight).mean();
}

void DenoisingTask::write_sample(std::int64_t step) {
  torch::nn::Module& trained = model();
  const bool was_training = trained.is_training();
  trained.eval();
  at::Tensor image;
  {
    torch::NoGradGuard no_grad;
    const at::ScalarType dtype = core::compute_dtype(options_.train.precision, device_.is_cuda());
    const core::CudaAutocast autocast(dtype != at::kFloat, dtype);
    image = render_sample();
  }
  if (was_training) trained.train();
  char name[32];
  std::snprintf(name, sizeof name, "step-%09lld.png", static_cast<long long>(step));
  const fs::path path = options_.output / "samples" / name;
  fs::create_directories(path.parent_path());
  media::write_image(path, nn::bgr_image(image));
  samples_.push_back(path);
  if (!events_) return;
  core::Event event;
  event.phase = phase_;
  event.kind = core::EventKind::sample;
  event.step = step;
  event.message = path.string();
  events_->emit(event);
}

}  // namespace wf::denoising
