#pragma once
// Reading LoRA files into one neutral form, whatever layout wrote them:
// - diffusers/peft (`pytorch_lora_weights.safetensors`): `<component>.<module path>.lora_A.weight` /
//   `lora_B.weight`, the component `unet` or `text_encoder`; alpha from the file's `lora_adapter_metadata`
//   (diffusers' key: JSON with `unet.lora_alpha`, ...) or from `adapter_config.json` beside it.
// - kohya (`lora_unet_<path with _>.lora_down.weight` / `lora_up.weight` / `alpha`, `lora_te_` for the text
//   encoder). Underscores are ambiguous (`down_blocks_0` vs `down_blocks.0`), so names are resolved against
//   the model's own layer paths, as kohya's loader does.
// Linear LoRAs are [r, in] / [out, r]; convolution LoRAs [r, in, k, k] / [out, r, 1, 1].

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace wf::diffusion {

struct LoraWeights {
  at::Tensor down, up;  // A and B
  std::optional<double> alpha;
};

struct LoraFile {
  // component ("unet", "text_encoder") -> module path -> weights
  std::map<std::string, std::map<std::string, LoraWeights>> components;
  std::size_t skipped_text_encoder_keys = 0;  // text-encoder keys when no text encoder was offered
};

// `layer_paths`: component -> the module paths LoRA can attach to. Throws wf::Error naming `file` and the first
// keys that fail: keys that match no layer (invalid_input) and LoRA variants other than plain LoRA (LoHa, LoKr,
// DoRA, LoCon's mid weights: unsupported).
LoraFile read_lora_file(const std::filesystem::path& file,
                        const std::map<std::string, std::set<std::string>>& layer_paths);

// "a, b, c, d, e (and 7 more)": the first keys of a failure message.
std::string first_keys(const std::vector<std::string>& keys);

}  // namespace wf::diffusion
