#include "swap/generative_engine.h"

#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "diffusion/lora.h"
#include "diffusion/pipeline.h"
#include "diffusion/stable_diffusion.h"
#include "face/face_mesh_image.h"
#include "face/keypoint_image.h"
#include "nn/image_tensor.h"
#include "train/trainers/identity/identity_adapter.h"
#include "train/trainers/lora/lora_options.h"

namespace wf::swap {
namespace fs = std::filesystem;

struct GenerativeEngine::Models {
  diffusion::StableDiffusion sd;
  identity::IdentityAdapterInfo info;
  identity::IdentityAdapter adapter{nullptr};
  std::optional<diffusion::LoraSet> lora;
  at::Tensor embedding, text, negative_text;
};

namespace {

// The LoRA file of a LoRA folder or the file itself, and the prompt its training used (lora.json's template).
std::pair<fs::path, std::string> lora_file_and_prompt(const fs::path& lora) {
  if (!fs::is_directory(lora)) return {lora, ""};
  std::string prompt;
  if (fs::is_regular_file(lora / "lora.json")) {
    const auto info = core::read_json_file(lora / "lora.json");
    lora::LoraTrainOptions options;
    options.prompt_template = info.value("prompt_template", options.prompt_template);
    options.identity_word = info.value("identity_word", options.identity_word);
    prompt = lora::caption_of(options, "");
  }
  return {lora / "pytorch_lora_weights.safetensors", prompt};
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
  m.info = identity::read_identity_adapter_info(o.identity);
  if (m.info.resampler.embedding_dim != static_cast<int64_t>(source.mean_embedding.size())) {
    throw Error(ErrorCode::invalid_input,
                "the identity adapter takes " + std::to_string(m.info.resampler.embedding_dim) +
                    "-wide face embeddings; the source dataset's are " + std::to_string(source.mean_embedding.size()) +
                    " wide",
                o.identity, "extract the source with the embedder the adapter was trained with");
  }
  m.adapter = identity::IdentityAdapter(m.sd.unet, m.info.resampler);
  identity::load_identity_adapter(o.identity, *m.adapter);
  m.adapter->to(load.device);
  m.adapter->eval();
  m.adapter->ip_adapter->set_scale(o.identity_scale);
  std::string prompt = o.prompt;
  if (!o.lora.empty()) {
    const auto [file, lora_prompt] = lora_file_and_prompt(o.lora);
    m.lora = diffusion::LoraSet::load(*m.sd.unet, file, m.sd.text_encoder.get());
    m.lora->set_scale(o.lora_scale);
    if (prompt.empty()) prompt = lora_prompt;
  }
  if (prompt.empty()) prompt = m.info.prompt;
  torch::NoGradGuard no_grad;
  m.text = diffusion::encode_prompt(m.sd, prompt).to(at::kFloat);
  m.negative_text = diffusion::encode_prompt(m.sd, o.negative_prompt).to(at::kFloat);
  m.embedding = at::tensor(source.mean_embedding, at::kFloat).unsqueeze(0).to(load.device);
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
  cv::Mat control;
  if (m.info.control == "face_mesh" && face.landmarks_478.size() == 478) {
    std::vector<cv::Point3f> points = face.landmarks_478;
    for (auto& p : points) p *= scale;
    control = face::draw_face_mesh({r, r}, points);
  } else {
    std::array<cv::Point2f, 5> points = face.keypoints_5;
    for (auto& p : points) p *= scale;
    control = face::draw_keypoints_5({r, r}, points);
  }
  cv::cvtColor(control, control, cv::COLOR_RGB2BGR);  // the drawings are RGB; rgb_tensor reads BGR
  diffusion::GenerationRequest request;
  request.image = nn::rgb_tensor(crop).unsqueeze(0);
  request.mask = at::from_blob(mask.data, {1, 1, r, r}, at::kByte).gt(127).to(at::kFloat);  // 1 = repaint
  {
    torch::NoGradGuard no_grad;
    m.adapter->condition(request, m.embedding, m.text, m.negative_text, nn::rgb_tensor(control).unsqueeze(0));
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

}  // namespace wf::swap
