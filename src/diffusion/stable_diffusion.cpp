#include "diffusion/stable_diffusion.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "diffusion/diffusers_folder.h"
#include "diffusion/ldm_checkpoint.h"

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

// The UNet layout of an SD 1.x single file: SD 1.5's, with the inpainting variant's 9 input channels.
UNet2DConditionConfig single_file_unet_config(const core::StateDict& checkpoint, const fs::path& file) {
  UNet2DConditionConfig config;
  const auto conv_in = checkpoint.find("model.diffusion_model.input_blocks.0.0.weight");
  const auto to_k = checkpoint.find("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight");
  if (conv_in == checkpoint.end() || to_k == checkpoint.end()) {
    throw Error(ErrorCode::invalid_input, "the checkpoint has no Stable Diffusion UNet", file,
                "give a Stable Diffusion 1.x checkpoint or a diffusers folder");
  }
  if (to_k->second.size(1) != config.cross_attention_dim) {
    throw Error(ErrorCode::unsupported,
                "the UNet attends to " + std::to_string(to_k->second.size(1)) + "-wide text features; only SD 1.x (768) single files are read",
                file, "convert the model to a diffusers folder and load that");
  }
  config.in_channels = conv_in->second.size(1);
  return config;
}

StableDiffusion load_single_file(const fs::path& file, const LoadOptions& options) {
  if (file.extension() != ".safetensors") {
    throw Error(ErrorCode::unsupported, "only .safetensors checkpoints are loaded (loading a pickle runs code)", file,
                "convert it once in Python with safetensors.torch.save_file, or use a diffusers folder");
  }
  const core::StateDict checkpoint = core::load_safetensors(file);
  std::vector<std::string> names;
  for (const auto& item : checkpoint) names.push_back(item.first);
  if (!looks_like_ldm_checkpoint(names)) {
    throw Error(ErrorCode::invalid_input, "not a single-file Stable Diffusion checkpoint", file,
                "for one component's weights give its diffusers folder (the one with config.json)");
  }
  StableDiffusion sd;
  sd.source = file;
  const UNet2DConditionConfig config = single_file_unet_config(checkpoint, file);
  const LdmComponents parts = convert_ldm_checkpoint(checkpoint, config, file);
  if (parts.vae.empty() || parts.text_encoder.empty()) {
    throw Error(ErrorCode::invalid_input, std::string("the checkpoint has no ") + (parts.vae.empty() ? "VAE" : "text encoder"),
                file, "use a full checkpoint (UNet, VAE and text encoder), e.g. v1-5-pruned-emaonly.safetensors");
  }
  sd.unet = UNet2DConditionModel(config);
  core::load_state_dict(*sd.unet, parts.unet, true, file);
  sd.vae = AutoencoderKL(AutoencoderKLConfig{});
  core::load_state_dict(*sd.vae, parts.vae, true, file);
  sd.text_encoder = CLIPTextModel(CLIPTextConfig{});
  core::load_state_dict(*sd.text_encoder, parts.text_encoder, true, file);
  const fs::path tokenizer = options.tokenizer_dir.empty() ? file.parent_path() / "tokenizer" : options.tokenizer_dir;
  if (!options.tokenizer_dir.empty() || fs::is_directory(tokenizer)) sd.tokenizer = CLIPTokenizer::load(tokenizer);
  return sd;  // the scheduler: SD 1.x's, the defaults of SchedulerConfig
}

}  // namespace

StableDiffusion StableDiffusion::load(const fs::path& path, const LoadOptions& options) {
  check_options(options, path);
  if (!fs::exists(path)) {
    throw Error(ErrorCode::not_found, "model not found", path,
                "give a diffusers Stable Diffusion folder or a single-file .safetensors checkpoint");
  }
  StableDiffusion sd = fs::is_directory(path) ? load_folder(path, options) : load_single_file(path, options);
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
