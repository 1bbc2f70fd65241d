#include "train/trainers/lora/lora_options.h"

namespace wf::lora {
using nlohmann::json;

LoraTrainOptions lora_train_options(const json& v, const core::ComputeChoice& compute) {
  LoraTrainOptions o;
  auto path = [&](const char* key) {
    return v.contains(key) ? std::filesystem::path(v.at(key).get<std::string>()) : std::filesystem::path();
  };
  o.dataset = path("dataset");
  o.output = path("output");
  o.base_model = path("model");
  o.tokenizer = path("tokenizer");
  o.identity = path("identity");
  o.lora.rank = v.at("rank");
  o.lora.alpha = v.at("alpha");
  o.lora.dropout = v.at("dropout");
  o.lora.target_modules = v.at("target_modules").get<std::vector<std::string>>();
  o.lora.text_encoder_target_modules = v.at("text_encoder_modules").get<std::vector<std::string>>();
  o.steps = v.at("steps");
  o.train.lr = {.lr = v.at("lr"), .schedule = train::LrSchedule::constant, .warmup_steps = 50};
  o.device = compute.device_name();
  o.train.precision = compute.precision;
  o.train.batch_size = v.at("batch");
  o.train.grad_accumulation = v.at("accumulation");
  o.train.checkpoint_every = v.at("checkpoint_every");
  o.train.seed = v.at("seed");
  o.train.max_grad_norm = 1.0;
  o.resolution = v.at("resolution");
  o.prompt.prompt_template = v.at("prompt_template");
  o.prompt.identity_word = v.at("identity_word");
  o.snr_gamma = v.at("snr_gamma");
  o.sample_every = v.at("sample_every");
  o.sample_steps = v.at("sample_steps");
  o.gradient_checkpointing = !v.at("keep_activations").get<bool>();
  return o;
}

}  // namespace wf::lora
