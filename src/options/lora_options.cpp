#include "options/lora_options.h"

#include "core/error.h"
#include "diffusion/lora.h"
#include "diffusion/lora_prompt.h"

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
       .default_value = diffusion::LoraPrompt{}.prompt_template,
       .help = "the caption of faces without their own; [identity] becomes the identity word"},
      {.name = "identity_word",
       .kind = OptionKind::text,
       .default_value = diffusion::LoraPrompt{}.identity_word,
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

nlohmann::json resolve_lora_options(const nlohmann::json& values) {
  json v = core::resolve_options(lora_option_schema(), values);
  if (v.at("resolution").get<int>() % 8 != 0) {
    throw Error(ErrorCode::invalid_input, "option resolution must be a multiple of 8", {}, "use 512, 384 or 256");
  }
  return v;
}

}  // namespace wf::options
