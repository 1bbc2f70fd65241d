#include "diffusion/stable_diffusion.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "diffusion/diffusers_folder.h"

namespace wf::diffusion {
namespace fs = std::filesystem;
namespace {

// transformers' older CLIPTextModel files carry this buffer; the model computes positions instead.
const std::vector<std::string> kTextEncoderIgnored{"text_model.embeddings.position_ids"};

template <typename Holder>
void place(Holder& module, const LoadOptions& options) {
  module->to(options.device, options.dtype);
  module->eval();
}

void check_options(const LoadOptions& options, const fs::path& path) {
  if (options.device.is_cpu() && options.dtype != at::kFloat) {
    throw Error(ErrorCode::invalid_input, "half precision runs on CUDA only", path, "use fp32 on the CPU");
  }
}

StableDiffusion load_folder(const fs::path& dir, const LoadOptions& options) {
  StableDiffusion sd;
  sd.source = dir;
  const fs::path unet_dir = component_dir(dir, "unet"), vae_dir = component_dir(dir, "vae");
  const fs::path text_dir = component_dir(dir, "text_encoder");
  sd.unet = UNet2DConditionModel(UNet2DConditionConfig::from_json(core::read_json_file(unet_dir / "config.json"),
                                                                  unet_dir / "config.json"));
  load_weights(*sd.unet, find_weights(unet_dir, "diffusion_pytorch_model", options.variant));
  sd.vae = AutoencoderKL(AutoencoderKLConfig::from_json(core::read_json_file(vae_dir / "config.json"), vae_dir / "config.json"));
  load_weights(*sd.vae, find_weights(vae_dir, "diffusion_pytorch_model", options.variant));
  sd.text_encoder =
      CLIPTextModel(CLIPTextConfig::from_json(core::read_json_file(text_dir / "config.json"), text_dir / "config.json"));
  load_weights(*sd.text_encoder, find_weights(text_dir, "model", options.variant), kTextEncoderIgnored);
  sd.scheduler = SchedulerConfig::load(component_dir(dir, "scheduler") / "scheduler_config.json");
  sd.tokenizer = CLIPTokenizer::load(options.tokenizer_dir.empty() ? component_dir(dir, "tokenizer") : options.tokenizer_dir);
  return sd;
}

}  // namespace

StableDiffusion StableDiffusion::load(const fs::path& path, const LoadOptions& options) {
  check_options(options, path);
  if (!fs::exists(path)) {
    throw Error(ErrorCode::not_found, "model not found", path,
                "give a diffusers Stable Diffusion folder or a single-file .safetensors checkpoint");
  }
  StableDiffusion sd = load_folder(path, options);
  place(sd.unet, options);
  place(sd.vae, options);
  place(sd.text_encoder, options);
  return sd;
}

const CLIPTokenizer& StableDiffusion::require_tokenizer() const {
  if (!tokenizer) {
    throw Error(ErrorCode::missing_model, "this checkpoint has no tokenizer", source,
                "pass the tokenizer/ folder of a diffusers Stable Diffusion 1.5 model (--tokenizer)");
  }
  return *tokenizer;
}

ControlNetModel load_controlnet(const fs::path& dir, const LoadOptions& options) {
  check_options(options, dir);
  const fs::path config = dir / "config.json";
  if (!fs::is_regular_file(config)) {
    throw Error(ErrorCode::not_found, "no config.json in the ControlNet folder", dir,
                "give a diffusers ControlNet folder (config.json + diffusion_pytorch_model.safetensors)");
  }
  ControlNetModel controlnet(ControlNetConfig::from_json(core::read_json_file(config), config));
  load_weights(*controlnet, find_weights(dir, "diffusion_pytorch_model", options.variant));
  place(controlnet, options);
  return controlnet;
}

}  // namespace wf::diffusion
