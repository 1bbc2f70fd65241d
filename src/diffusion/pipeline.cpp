#include "diffusion/pipeline.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/utils.h>

#include "core/error.h"
#include "diffusion/sampler.h"

namespace wf::diffusion {
namespace {

namespace F = torch::nn::functional;

std::string size_text(const at::Tensor& t) { return std::to_string(t.size(-1)) + "x" + std::to_string(t.size(-2)); }

void check_image(const at::Tensor& t, int64_t channels, const char* what) {
  if (t.dim() != 4 || t.size(0) != 1 || (channels > 0 && t.size(1) != channels)) {
    throw Error(ErrorCode::invalid_input, std::string("the ") + what + " must be a [1, " +
                                              (channels > 0 ? std::to_string(channels) : std::string("C")) +
                                              ", H, W] tensor, got " + c10::str(t.sizes()));
  }
}

// The checks diffusers' pipelines make, as errors a user can act on.
void validate(const GenerationRequest& r, bool has_controlnet, int64_t unet_in_channels, int64_t scale) {
  if (r.steps < 1) throw Error(ErrorCode::invalid_input, "steps must be at least 1");
  if (r.strength <= 0 || r.strength > 1) throw Error(ErrorCode::invalid_input, "strength must be in (0, 1]");
  if (r.image.defined()) check_image(r.image, 3, "image");
  if (r.mask.defined()) {
    if (!r.image.defined()) throw Error(ErrorCode::invalid_input, "a mask needs an image to inpaint");
    check_image(r.mask, 1, "mask");
    if (r.mask.size(2) != r.image.size(2) || r.mask.size(3) != r.image.size(3)) {
      throw Error(ErrorCode::invalid_input, "the mask is " + size_text(r.mask) + " but the image is " + size_text(r.image),
                  {}, "give a mask the size of the image");
    }
  }
  if (unet_in_channels == 9 && !r.mask.defined()) {
    throw Error(ErrorCode::invalid_input, "this is an inpainting UNet (9 input channels): it needs an image and a mask");
  }
  if (unet_in_channels != 4 && unet_in_channels != 9) {
    throw Error(ErrorCode::unsupported, "UNets with " + std::to_string(unet_in_channels) + " input channels are not supported");
  }
  const int64_t height = r.image.defined() ? r.image.size(2) : r.height, width = r.image.defined() ? r.image.size(3) : r.width;
  if (height % scale != 0 || width % scale != 0 || height < scale || width < scale) {
    throw Error(ErrorCode::invalid_input, "the size must be a multiple of " + std::to_string(scale) + ", got " +
                                              std::to_string(width) + "x" + std::to_string(height));
  }
  if (has_controlnet != r.control_image.defined()) {
    throw Error(ErrorCode::invalid_input, has_controlnet ? "the ControlNet needs a control image" : "a control image needs a ControlNet");
  }
  if (r.control_image.defined()) check_image(r.control_image, 0, "control image");
}

at::Tensor mean_latents(AutoencoderKL& vae, const at::Tensor& pixels) {  // pixels in [-1, 1]
  return vae->encode(pixels).first * vae->config().scaling_factor;
}

}  // namespace

at::Tensor prompt_ids(StableDiffusion& sd, const std::string& prompt) {
  const CLIPTokenizer& tokenizer = sd.require_tokenizer();
  const int64_t dropped = tokenizer.dropped_tokens(prompt);
  if (dropped > 0) {
    throw Error(ErrorCode::invalid_input,
                "the prompt is " + std::to_string(dropped) + " tokens longer than the text encoder reads (" +
                    std::to_string(tokenizer.model_max_length() - 2) + ")",
                {}, "shorten the prompt");
  }
  const std::vector<int64_t> ids = tokenizer.encode_padded(prompt);
  const auto device = sd.text_encoder->parameters().front().device();
  return at::tensor(ids, at::kLong).unsqueeze(0).to(device);
}

at::Tensor encode_prompt(StableDiffusion& sd, const std::string& prompt, int64_t clip_skip) {
  return sd.text_encoder->forward(prompt_ids(sd, prompt), clip_skip);
}

GenerationResult generate(StableDiffusion& sd, const GenerationRequest& r, ControlNetModel* controlnet) {
  torch::NoGradGuard no_grad;
  const int64_t unet_channels = sd.unet->config().in_channels;
  const int64_t scale = int64_t{1} << (sd.vae->config().block_out_channels.size() - 1);  // 8 for SD
  validate(r, controlnet != nullptr, unet_channels, scale);
  const at::Tensor reference = sd.unet->parameters().front();
  const auto options = reference.options().requires_grad(false);
  const bool guided = r.guidance_scale > 1.0;

  at::Tensor cond = r.prompt_embeds.defined() ? r.prompt_embeds : encode_prompt(sd, r.prompt, r.clip_skip);
  at::Tensor uncond;
  if (guided) uncond = r.negative_prompt_embeds.defined() ? r.negative_prompt_embeds : encode_prompt(sd, r.negative_prompt, r.clip_skip);
  cond = cond.to(options);
  if (guided) uncond = uncond.to(options);
  const at::Tensor context = guided ? at::cat({uncond, cond}) : cond;
  at::Tensor control_cond = cond, control_context = context;
  if (r.controlnet_prompt_embeds.defined()) {
    control_cond = r.controlnet_prompt_embeds.to(options);
    const at::Tensor negative = r.negative_controlnet_prompt_embeds.defined() ? r.negative_controlnet_prompt_embeds.to(options)
                                                                              : at::zeros_like(control_cond);
    control_context = guided ? at::cat({negative, control_cond}) : control_cond;
  }

  const int64_t height = r.image.defined() ? r.image.size(2) : r.height, width = r.image.defined() ? r.image.size(3) : r.width;
  const int64_t lh = height / scale, lw = width / scale;
  auto sampler = make_sampler(r.sampler, sd.scheduler);
  sampler->set_timesteps(r.steps);
  const int64_t total = static_cast<int64_t>(sampler->timesteps().size());
  const bool from_noise = !r.image.defined() || r.strength >= 1.0;
  const int64_t start = from_noise ? 0 : total - std::min(static_cast<int64_t>(static_cast<double>(r.steps) * r.strength), total);
  if (start >= total) throw Error(ErrorCode::invalid_input, "strength x steps leaves no step to run", {}, "raise strength or steps");

  at::Generator generator = at::detail::createCPUGenerator(r.seed);
  const int64_t channels = sd.vae->config().latent_channels;
  const at::Tensor noise = at::randn({1, channels, lh, lw}, generator, at::TensorOptions(at::kFloat)).to(options);

  at::Tensor image_latents, mask_latents, masked_image_latents, pixels;
  if (r.image.defined()) {
    pixels = (r.image.to(options) * 2 - 1);
    image_latents = mean_latents(sd.vae, pixels);
  }
  at::Tensor mask;
  if (r.mask.defined()) {
    mask = (r.mask.to(options) >= 0.5).to(options.dtype());
    mask_latents = F::interpolate(mask, F::InterpolateFuncOptions().size(std::vector<int64_t>{lh, lw}).mode(torch::kNearest));
    if (unet_channels == 9) masked_image_latents = mean_latents(sd.vae, pixels * (1 - mask));
  }
  at::Tensor control;
  if (controlnet) {
    control = r.control_image.to(options);
    if (control.size(2) != height || control.size(3) != width) {
      control = F::interpolate(control, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{height, width})
                                            .mode(torch::kBilinear)
                                            .align_corners(false));
    }
  }

  at::Tensor latents = from_noise ? noise * sampler->init_noise_sigma() : sampler->add_noise(image_latents, noise, static_cast<std::size_t>(start));
  const auto duplicate = [&](const at::Tensor& t) { return guided ? at::cat({t, t}) : t; };
  for (int64_t i = start; i < total; ++i) {
    const auto index = static_cast<std::size_t>(i);
    const at::Tensor t = at::tensor(sampler->timesteps()[index], at::TensorOptions(at::kFloat)).to(options.device());
    const at::Tensor model_input = sampler->scale_model_input(duplicate(latents), index);
    ControlResiduals residuals;
    if (controlnet) {
      const ControlNetInput input{r.controlnet_conditioning_scale, r.guess_mode};
      if (r.guess_mode && guided) {  // the ControlNet sees only the prompted half; the other half gets nothing
        residuals = (*controlnet)->forward(sampler->scale_model_input(latents, index), t, control_cond, control, input);
        for (auto& d : residuals.down) d = at::cat({at::zeros_like(d), d});
        residuals.mid = at::cat({at::zeros_like(residuals.mid), residuals.mid});
      } else {
        residuals = (*controlnet)->forward(model_input, t, control_context, duplicate(control), input);
      }
    }
    const at::Tensor unet_input =
        unet_channels == 9 ? at::cat({model_input, duplicate(mask_latents), duplicate(masked_image_latents)}, 1) : model_input;
    at::Tensor prediction = sd.unet->forward(unet_input, t, context, controlnet ? &residuals : nullptr);
    if (guided) {
      const auto halves = prediction.chunk(2);
      prediction = halves[0] + r.guidance_scale * (halves[1] - halves[0]);
    }
    latents = sampler->step(prediction, index, latents, generator);
    if (mask.defined() && unet_channels == 4) {  // keep the unmasked region on the input's noise trajectory
      const at::Tensor known = i + 1 < total ? sampler->add_noise(image_latents, noise, index + 1) : image_latents;
      latents = (1 - mask_latents) * known + mask_latents * latents;
    }
    if (r.on_step && !r.on_step(i - start + 1, total - start)) {
      throw Error(ErrorCode::cancelled, "generation cancelled after step " + std::to_string(i - start + 1));
    }
  }

  const at::Tensor scaled = latents / sd.vae->config().scaling_factor;
  const bool tiled = r.tiled_vae || height * width > 1024 * 1024;
  at::Tensor decoded = tiled ? sd.vae->tiled_decode(scaled) : sd.vae->decode(scaled);
  decoded = (decoded.to(at::kFloat).cpu() / 2 + 0.5).clamp(0, 1);
  GenerationResult result{decoded, decoded, scaled.to(at::kFloat).cpu()};
  if (r.mask.defined()) {  // paste: where the mask is 0 the input's pixels come back untouched
    const at::Tensor alpha = r.mask.to(at::kFloat).cpu().clamp(0, 1);
    result.image = at::where(alpha > 0, alpha * decoded + (1 - alpha) * r.image.to(at::kFloat).cpu(), r.image.to(at::kFloat).cpu());
  }
  return result;
}

}  // namespace wf::diffusion
