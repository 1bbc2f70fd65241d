#include "train/trainers/lora/lora_options.h"

#include "options/lora_options.h"

namespace wf::lora {
using nlohmann::json;

LoraTrainOptions lora_options_from_json(const nlohmann::json& values) {
  const json v = options::resolve_lora_options(values);
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

json to_json(const LoraTrainOptions& o) {
  json v{{"dataset", o.dataset.string()},
         {"output", o.output.string()},
         {"rank", o.lora.rank},
         {"alpha", o.lora.alpha},
         {"dropout", o.lora.dropout},
         {"target_modules", o.lora.target_modules},
         {"text_encoder_modules", o.lora.text_encoder_target_modules},
         {"steps", o.steps},
         {"lr", o.train.lr.lr},
         {"batch", o.train.batch_size},
         {"accumulation", o.train.grad_accumulation},
         {"resolution", o.resolution},
         {"prompt_template", o.prompt.prompt_template},
         {"identity_word", o.prompt.identity_word},
         {"snr_gamma", o.snr_gamma},
         {"sample_every", o.sample_every},
         {"sample_steps", o.sample_steps},
         {"checkpoint_every", o.train.checkpoint_every},
         {"seed", o.train.seed},
         {"keep_activations", !o.gradient_checkpointing}};
  for (const auto& [key, value] :
       {std::pair{"model", o.base_model}, {"tokenizer", o.tokenizer}, {"identity", o.identity}}) {
    if (!value.empty()) v[key] = value.string();
  }
  return v;
}

}  // namespace wf::lora
