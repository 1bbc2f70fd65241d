#include "swap/generative_engine.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/control_image.h"
#include "diffusion/identity_adapter.h"
#include "diffusion/lora.h"
#include "diffusion/lora_prompt.h"
#include "diffusion/pipeline.h"
#include "diffusion/stable_diffusion.h"
#include "nn/image_tensor.h"
#include "swap/repair_ladder.h"
#include "swap/swap_options.h"

namespace wf::swap {
namespace fs = std::filesystem;

struct GenerativeEngine::Models {
  diffusion::StableDiffusion sd;
  diffusion::IdentityAdapterInfo info;
  diffusion::IdentityAdapter adapter{nullptr};
  std::optional<diffusion::LoraSet> lora;
  at::Tensor embedding, text, negative_text;
};

namespace {

// The LoRA file of a LoRA folder or the file itself, and the prompt its training used.
std::pair<fs::path, std::string> lora_file_and_prompt(const fs::path& lora) {
  if (!fs::is_directory(lora)) return {lora, ""};
  const bool own = fs::is_regular_file(lora / "lora.json");  // another tool's folder has no prompt to repeat
  return {lora / "pytorch_lora_weights.safetensors", own ? diffusion::read_lora_prompt(lora).caption() : ""};
}

}  // namespace

GenerativeEngine::GenerativeEngine(const SourceFaces& source, GenerativeOptions options)
    : models_(std::make_unique<Models>()), options_(std::move(options)) {
  const auto& o = options_;
  if (o.base_model.empty() || !fs::exists(o.base_model)) {
    throw Error(ErrorCode::missing_model, "the generative engine needs Stable Diffusion 1.5, and it is not installed",
                o.base_model, "put SD 1.5 in models/base_diffusion/, or use the offline engine (--engine offline)");
  }
  if (o.identity.empty() || !fs::exists(o.identity)) {
    throw Error(ErrorCode::missing_model, "the generative engine needs an identity adapter", o.identity,
                "train one (watserface train identity) and pass it with --identity, or use the offline engine");
  }
  if (source.mean_embedding.empty()) {
    throw Error(ErrorCode::invalid_input, "the source dataset has no identity embeddings", {},
                "extract the source again with a face embedder installed (watserface doctor lists them)");
  }
  Models& m = *models_;
  diffusion::LoadOptions load;
  load.device = torch::Device(o.device);
  load.tokenizer_dir = o.tokenizer;
  m.sd = diffusion::StableDiffusion::load(o.base_model, load);
  m.info = diffusion::read_identity_adapter_info(o.identity);
  m.adapter = diffusion::load_frozen_identity_adapter(
      o.identity, m.info, m.sd.unet, static_cast<int64_t>(source.mean_embedding.size()), "source", load.device);
  m.adapter->ip_adapter->set_scale(o.identity_scale);
  if (!o.lora.empty()) {
    m.lora = diffusion::LoraSet::load(*m.sd.unet, lora_file_and_prompt(o.lora).first, m.sd.text_encoder.get());
    m.lora->set_scale(o.lora_scale);
  }
  encode_prompts();
  m.embedding = at::tensor(source.mean_embedding, at::kFloat).unsqueeze(0).to(load.device);
}

void GenerativeEngine::encode_prompts() {
  Models& m = *models_;
  std::string prompt = options_.prompt;
  if (prompt.empty() && !options_.lora.empty()) prompt = lora_file_and_prompt(options_.lora).second;
  if (prompt.empty()) prompt = m.info.prompt;
  torch::NoGradGuard no_grad;
  m.text = diffusion::encode_prompt(m.sd, prompt).to(at::kFloat);
  m.negative_text = diffusion::encode_prompt(m.sd, options_.negative_prompt).to(at::kFloat);
}

bool GenerativeEngine::reconfigure(const SwapOptions& swap) {
  const GenerativeOptions& options = swap.generative;
  if (options.base_model != options_.base_model || options.tokenizer != options_.tokenizer ||
      options.identity != options_.identity || options.lora != options_.lora || options.device != options_.device) {
    throw Error(ErrorCode::invalid_input, "new generative settings may not change the models or the device",
                options.base_model, "start a new swap for other models");
  }
  const bool prompts_changed = options.prompt != options_.prompt || options.negative_prompt != options_.negative_prompt;
  options_ = options;
  models_->adapter->ip_adapter->set_scale(options_.identity_scale);
  if (models_->lora) models_->lora->set_scale(options_.lora_scale);
  if (prompts_changed) encode_prompts();
  return true;
}

GenerativeEngine::~GenerativeEngine() = default;

SwappedFace GenerativeEngine::swap(const SwapFace& face) {
  Models& m = *models_;
  const int size = face.crop.cols;
  const int r = options_.resolution > 0 ? options_.resolution : m.info.resolution;
  const float scale = static_cast<float>(r) / static_cast<float>(size);
  cv::Mat crop, mask;
  cv::resize(face.crop, crop, {r, r}, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  cv::resize(face.mask, mask, {r, r}, 0, 0, cv::INTER_NEAREST);
  // The adapter's control, or its five keypoints when the mesh model saw no face.
  const face::ControlImage kind = face.landmarks_478.size() == 478 ? face::parse_control_image(m.info.control)
                                                                        : face::ControlImage::keypoints_5;
  const at::Tensor control = face::draw_control_image(kind, r, scale, face.keypoints_5, face.landmarks_478);
  diffusion::GenerationRequest request;
  request.image = nn::rgb_tensor(crop).unsqueeze(0);
  request.mask = at::from_blob(mask.data, {1, 1, r, r}, at::kByte).gt(127).to(at::kFloat);  // 1 = repaint
  {
    torch::NoGradGuard no_grad;
    m.adapter->condition(request, m.embedding, m.text, m.negative_text, control.unsqueeze(0));
  }
  request.steps = options_.steps;
  request.strength = options_.strength;
  request.guidance_scale = options_.guidance;
  request.controlnet_conditioning_scale = options_.control_scale;
  request.seed = options_.seed;  // the same noise on every frame
  request.sampler = options_.sampler;
  diffusion::ControlNetModel controlnet = m.adapter->controlnet;
  const diffusion::GenerationResult result = diffusion::generate(m.sd, request, &controlnet);
  cv::Mat generated;
  cv::resize(nn::bgr_image(result.image), generated, face.crop.size(), 0, 0,
             scale > 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  return {generated, face.mask.clone(), "mean"};
}


void configure_generative(SwapOptions& options, const EngineInputs& inputs) {
  GenerativeOptions& g = options.generative;
  g.base_model = inputs.base_model;
  g.tokenizer = inputs.tokenizer;
  g.identity = inputs.identity;
  g.lora = inputs.lora;
  g.device = inputs.device;
}

void generative_repairs(RepairLadder& ladder) {
  const GenerativeOptions& g = ladder.swapped().generative;
  const std::uint64_t seed = g.seed + 1;
  ladder.add("new seed", {{"seed", seed}}, [&](SwapOptions& o) { o.generative.seed = seed; });
  const std::int64_t steps = std::max<std::int64_t>(g.steps + 1, static_cast<std::int64_t>(std::lround(g.steps * 1.5)));
  ladder.add("more steps", {{"steps", steps}}, [&](SwapOptions& o) { o.generative.steps = steps; });
  const double identity = std::min(1.5, g.identity_scale + 0.2);
  ladder.add("stronger identity", {{"identity_scale", identity}},
             [&](SwapOptions& o) { o.generative.identity_scale = identity; });
  const double strength = std::max(0.3, g.strength - 0.15);
  ladder.add("lower strength", {{"strength", strength}}, [&](SwapOptions& o) { o.generative.strength = strength; });
  ladder.resized_mask(kRepairMaskStep);
}

}  // namespace wf::swap
