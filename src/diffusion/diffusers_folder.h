#pragma once
// Reading and writing diffusers model folders: a pipeline folder (model_index.json with unet/, vae/,
// text_encoder/, tokenizer/, scheduler/) or one component folder (config.json + weights). Weights are
// `.safetensors` only, optionally a variant (`diffusion_pytorch_model.fp16.safetensors`); a folder that has
// only PyTorch pickles (`.bin`, `.ckpt`) is refused with the conversion to run, since unpickling is code execution.

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "core/state_dict.h"

namespace torch::nn {
class Module;
}

namespace wf::diffusion {

// The weights file for `stem` ("diffusion_pytorch_model", "model") in `dir`: `<stem>.<variant>.safetensors`
// when a variant is asked for, else `<stem>.safetensors`, else the fp16 variant. Throws wf::Error naming the
// folder and what it looked for.
std::filesystem::path find_weights(const std::filesystem::path& dir, const std::string& stem,
                                   const std::string& variant = {});

// Loads `file` into `module` strictly (missing, unexpected and mis-shaped keys are reported by name), casting
// fp16/bf16 weights to the module's dtype. Keys in `ignored` (old buffers such as position_ids) are dropped.
void load_weights(torch::nn::Module& module, const std::filesystem::path& file,
                  const std::vector<std::string>& ignored = {});

// Writes `config` as config.json and the module's state as `<stem>[.<variant>].safetensors` in `dir`,
// each atomically; a variant of "fp16" or "bf16" stores the weights in that dtype.
void save_component(const std::filesystem::path& dir, const nlohmann::json& config, const torch::nn::Module& module,
                    const std::string& stem, const std::string& variant = {});

// The component folder `name` of a pipeline folder, or a not_found error naming model_index.json.
std::filesystem::path component_dir(const std::filesystem::path& pipeline_dir, const std::string& name);

}  // namespace wf::diffusion
