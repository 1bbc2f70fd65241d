#pragma once
// Phase "LoRA" (optional): adapts the base model to the target video's light, grain and style. A LoRA (rank 16,
// alpha 16 on the UNet's attention projections by default) is trained on the target's face crops with their
// captions, the base model frozen; with an identity adapter it is frozen but active in the forward pass, fed
// each target face's own embedding and keypoints, so the identity is explained by the adapter and the LoRA
// learns what remains. The loss is the diffusion loss of the shared denoising task.
//
// The LoRA folder: pytorch_lora_weights.safetensors + adapter_config.json (diffusers/peft), lora.json (what the
// swap needs to prompt it the same way: template, identity word, resolution, identity adapter), samples/,
// checkpoints/ (exact resume).

#include <atomic>
#include <optional>
#include <vector>

#include "core/events.h"
#include "train/trainers/lora/lora_options.h"

namespace wf::lora {

struct LoraTrainResult {
  train::TrainResult train;
  std::size_t faces = 0;
  std::size_t layers = 0;  // adapted layers
  std::int64_t trainable_parameters = 0;
  std::vector<std::filesystem::path> samples;
};

LoraTrainResult train_lora(const LoraTrainOptions& options, core::EventSink* events = nullptr,
                           const std::atomic<bool>* cancel = nullptr,
                           std::optional<std::int64_t> stop_at = std::nullopt);

// What training with `options` would do, for the modeler page: the layers the targets reach, the trainable
// parameters, the steps and every face's caption. Reads the dataset and the base model; trains nothing.
struct LoraPlan {
  std::vector<std::string> layers;  // "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", ...
  std::int64_t trainable_parameters = 0;
  std::size_t faces = 0;
  std::int64_t steps = 0, steps_per_epoch = 0;
  std::vector<std::pair<std::string, std::string>> captions;  // face id, caption
};
LoraPlan plan_lora(const LoraTrainOptions& options);
nlohmann::json to_json(const LoraPlan& plan);

// Sets the captions of the faces named (id -> text; "" puts a face back on the template), atomically. Throws
// invalid_input naming an id the dataset does not have.
void set_captions(const std::filesystem::path& dataset, const std::map<std::string, std::string>& captions);

}  // namespace wf::lora
