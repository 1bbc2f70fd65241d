#include "train/trainers/lora/lora_options.h"

#include "core/error.h"

namespace wf::lora {
namespace {
using core::OptionKind;
using nlohmann::json;

std::vector<std::string> unet_modules() {
  return {"to_q",    "to_k",     "to_v",  "to_out.0", "ff.net.0.proj", "ff.net.2",
          "proj_in", "proj_out", "conv1", "conv2",    "conv_shortcut", "time_emb_proj"};
}

}  // namespace

const core::OptionSchema& lora_option_schema() {
  static const core::OptionSchema schema{
      {.name = "dataset",
       .kind = OptionKind::path,
       .help = "the target dataset (watserface extract --target)",
       .required = true},
      {.name = "output", .kind = OptionKind::path, .help = "the LoRA folder to write", .required = true},
      {.name = "model",
       .kind = OptionKind::path,
       .help = "Stable Diffusion 1.5 (default: the one in the models folder)"},
      {.name = "tokenizer",
       .kind = OptionKind::path,
       .help = "a diffusers tokenizer/ folder (single-file models)",
       .advanced = true},
      {.name = "identity",
       .kind = OptionKind::path,
       .help = "the identity adapter (watserface train identity), frozen but active, so the LoRA learns light and "
               "style, not the face"},
      {.name = "rank", .kind = OptionKind::integer, .default_value = 16, .help = "LoRA rank r", .min = 1, .max = 256},
      {.name = "alpha",
       .kind = OptionKind::number,
       .default_value = 16.0,
       .help = "LoRA alpha (the update is scaled by alpha / r)",
       .min = 0.01,
       .max = 1024},
      {.name = "dropout",
       .kind = OptionKind::number,
       .default_value = 0.0,
       .help = "dropout on the LoRA input",
       .min = 0,
       .max = 0.9,
       .advanced = true},
      {.name = "target_modules",
       .kind = OptionKind::list,
       .default_value = diffusion::kUnetAttentionModules,
       .help = "UNet layers to adapt (peft's target_modules)",
       .min = 1,
       .choices = unet_modules()},
      {.name = "text_encoder_modules",
       .kind = OptionKind::list,
       .default_value = json::array(),
       .help = "text-encoder layers to adapt too (none by default)",
       .choices = {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"},
       .advanced = true},
      {.name = "steps",
       .kind = OptionKind::integer,
       .default_value = 800,
       .help = "optimizer steps",
       .min = 1,
       .max = 1000000},
      {.name = "lr",
       .kind = OptionKind::number,
       .default_value = 1e-4,
       .help = "learning rate (AdamW, constant after warm-up)",
       .min = 0,
       .max = 1},
      {.name = "batch",
       .kind = OptionKind::integer,
       .default_value = 2,
       .help = "faces per micro-batch",
       .min = 1,
       .max = 256},
      {.name = "accumulation",
       .kind = OptionKind::integer,
       .default_value = 2,
       .help = "micro-batches per optimizer step",
       .min = 1,
       .max = 256,
       .advanced = true},
      {.name = "resolution",
       .kind = OptionKind::integer,
       .default_value = 512,
       .help = "training size, a multiple of 8: 512, or 384/256 for small GPUs",
       .min = 64,
       .max = 1024},
      {.name = "prompt_template",
       .kind = OptionKind::text,
       .default_value = "a high quality photo of [identity] person",
       .help = "the caption of faces without their own; [identity] becomes the identity word"},
      {.name = "identity_word",
       .kind = OptionKind::text,
       .default_value = "ohwx",
       .help = "the word [identity] stands for",
       .advanced = true},
      {.name = "snr_gamma",
       .kind = OptionKind::number,
       .default_value = 5.0,
       .help = "min-SNR loss weighting (0 turns it off)",
       .min = 0,
       .max = 100,
       .advanced = true},
      {.name = "sample_every",
       .kind = OptionKind::integer,
       .default_value = 200,
       .help = "steps between sample images in OUTPUT/samples (0: none)",
       .min = 0},
      {.name = "sample_steps",
       .kind = OptionKind::integer,
       .default_value = 20,
       .help = "sampling steps of a sample image",
       .min = 1,
       .max = 200,
       .advanced = true},
      {.name = "checkpoint_every",
       .kind = OptionKind::integer,
       .default_value = 200,
       .help = "steps between checkpoints (and one at the end)",
       .min = 0,
       .advanced = true},
      {.name = "seed",
       .kind = OptionKind::integer,
       .default_value = 0,
       .help = "seed of initialisation, order and noise",
       .min = 0,
       .advanced = true},
      {.name = "keep_activations",
       .kind = OptionKind::flag,
       .default_value = false,
       .help = "no gradient checkpointing: faster, needs much more memory",
       .advanced = true},
  };
  return schema;
}

LoraTrainOptions lora_options_from_json(const nlohmann::json& values) {
  const json v = core::resolve_options(lora_option_schema(), values);
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
  if (o.resolution % 8 != 0) {
    throw Error(ErrorCode::invalid_input, "option resolution must be a multiple of 8", {}, "use 512, 384 or 256");
  }
  o.prompt_template = v.at("prompt_template");
  o.identity_word = v.at("identity_word");
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
         {"prompt_template", o.prompt_template},
         {"identity_word", o.identity_word},
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

std::string caption_of(const LoraTrainOptions& options, const std::string& dataset_text) {
  std::string caption = dataset_text.empty() ? options.prompt_template : dataset_text;
  const std::string placeholder = "[identity]";
  for (auto at = caption.find(placeholder); at != std::string::npos;
       at = caption.find(placeholder, at + options.identity_word.size())) {
    caption.replace(at, placeholder.size(), options.identity_word);
  }
  return caption;
}

}  // namespace wf::lora
