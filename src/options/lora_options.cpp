#include "options/lora_options.h"

#include "options/common_options.h"

namespace wf::options {
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
      {.name = "enabled",
       .kind = OptionKind::flag,
       .default_value = false,
       .help = "train a LoRA on the target's frames for its light and style (needs Stable Diffusion 1.5)",
       .label = "Train a style LoRA",
       .direct = false},
      command_path_option("dataset", "the target dataset (watserface extract --target)"),
      command_path_option("output", "the LoRA folder to write"),
      base_model_option(),
      tokenizer_option(),
      {.name = "identity",
       .kind = OptionKind::path,
       .help = "the identity adapter (watserface train identity), frozen but active, so the LoRA learns light and "
               "style, not the face",
       .pipeline = false},
      {.name = "rank",
       .kind = OptionKind::integer,
       .default_value = 16,
       .help = "LoRA rank r",
       .min = 1,
       .max = 256,
       .label = "LoRA rank"},
      {.name = "alpha",
       .kind = OptionKind::number,
       .default_value = 16.0,
       .help = "LoRA alpha (the update is scaled by alpha / r)",
       .min = 0.01,
       .max = 1024,
       .label = "LoRA alpha"},
      {.name = "dropout",
       .kind = OptionKind::number,
       .default_value = 0.0,
       .help = "dropout on the LoRA input",
       .min = 0,
       .max = 0.9,
       .advanced = true,
       .label = "LoRA dropout"},
      {.name = "target_modules",
       .kind = OptionKind::list,
       .default_value = kLoraAttentionModules,
       .help = "UNet layers to adapt (peft's target_modules)",
       .min = 1,
       .choices = unet_modules(),
       .label = "LoRA target modules"},
      {.name = "text_encoder_modules",
       .kind = OptionKind::list,
       .default_value = json::array(),
       .help = "text-encoder layers to adapt too (none by default)",
       .choices = {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"},
       .advanced = true,
       .label = "LoRA text-encoder modules"},
      {.name = "steps",
       .kind = OptionKind::integer,
       .default_value = 800,
       .help = "optimizer steps",
       .min = 1,
       .max = 1000000,
       .label = "LoRA steps"},
      {.name = "lr",
       .kind = OptionKind::number,
       .default_value = 1e-4,
       .help = "learning rate (AdamW, constant after warm-up)",
       .min = 0,
       .max = 1,
       .label = "LoRA learning rate"},
      {.name = "batch",
       .kind = OptionKind::integer,
       .default_value = 2,
       .help = "faces per micro-batch",
       .min = 1,
       .max = 256,
       .label = "LoRA batch"},
      accumulation_option(2, "LoRA gradient accumulation"),
      diffusion_resolution_option("LoRA resolution"),
      {.name = "prompt_template",
       .kind = OptionKind::text,
       .default_value = kLoraPromptTemplate,
       .help = "the caption of faces without their own; [identity] becomes the identity word",
       .label = "LoRA caption template"},
      {.name = "identity_word",
       .kind = OptionKind::text,
       .default_value = kLoraIdentityWord,
       .help = "the word [identity] stands for",
       .advanced = true,
       .label = "LoRA identity word"},
      snr_gamma_option("LoRA min-SNR gamma"),
      {.name = "sample_every",
       .kind = OptionKind::integer,
       .default_value = 200,
       .help = "steps between sample images in OUTPUT/samples (0: none)",
       .min = 0,
       .label = "LoRA sample every (steps)"},
      {.name = "sample_steps",
       .kind = OptionKind::integer,
       .default_value = 20,
       .help = "sampling steps of a sample image",
       .min = 1,
       .max = 200,
       .advanced = true,
       .label = "LoRA sample steps"},
      checkpoint_every_option(200, "LoRA checkpoint every (steps)", true),
      seed_option("seed of initialisation, order and noise", "LoRA seed", true),
      keep_activations_option("LoRA: keep activations"),
  };
  return schema;
}

nlohmann::json resolve_lora_options(const nlohmann::json& values, core::OptionUse use) {
  const std::string prefix = use == core::OptionUse::pipeline ? "lora." : "";
  json v = core::resolve_options(lora_option_schema(), values, use, prefix);
  check_diffusion_resolution(v, prefix);
  return v;
}

}  // namespace wf::options
