#pragma once
// LoRA for the UNet (and any module built from AdaptableLinear): low-rank updates B·A added to chosen linear
// layers, as peft's LoraLayer computes them: A initialised kaiming-uniform(a = sqrt(5)), B zero (so the model
// is unchanged at first), output scaled by alpha / r and by a run-time scale, optional dropout on the input.
//
// Files, both directions with diffusers/peft (`pytorch_lora_weights.safetensors`:
// `unet.<module path>.lora_A.weight` / `lora_B.weight`, with `adapter_config.json` holding r, lora_alpha and
// target_modules), and loading kohya's (`lora_unet_<path with _>.lora_down.weight` / `lora_up.weight` /
// `alpha`).

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/state_dict.h"
#include "diffusion/attention.h"

namespace wf::diffusion {

struct LoraConfig {
  int64_t rank = 16;
  double alpha = 16;
  double dropout = 0;
  // Module names a layer's path must end with (peft's target_modules).
  std::vector<std::string> target_modules{"to_q", "to_k", "to_v", "to_out.0"};
};

class LoraLinear final : public LinearAdapter {
 public:
  LoraLinear(int64_t in_features, int64_t out_features, int64_t rank, double alpha, double dropout);
  at::Tensor forward(const at::Tensor& x) override;
  at::Tensor delta_weight() const;  // scale x alpha / r x B A, the update merging adds to the base weight

  torch::nn::Linear lora_A{nullptr}, lora_B{nullptr};
  double scale = 1.0;  // the run-time strength (diffusers' lora_scale)

 private:
  double scaling_;
  torch::nn::Dropout dropout_{nullptr};
};

// The LoRA layers of one model, by module path ("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q").
class LoraSet {
 public:
  // Adds a fresh LoRA to every AdaptableLinear of `model` whose path ends with a target module. Throws
  // invalid_input when no layer matches.
  static LoraSet inject(torch::nn::Module& model, const LoraConfig& config);
  // Reads a diffusers/peft or kohya LoRA file (format told by its keys) and attaches it to `model`. Throws
  // wf::Error naming `file` and the first keys that fail: keys that match no layer, A and B ranks that disagree,
  // shapes of another base model.
  static LoraSet load(torch::nn::Module& model, const std::filesystem::path& file);

  // diffusers/peft format: the weights file and adapter_config.json beside it, atomically.
  void save(const std::filesystem::path& file) const;
  std::vector<at::Tensor> parameters() const;
  void set_scale(double scale);
  // Folds scale x B A into the base weights (and takes the adapters off) / subtracts it back (and puts them on).
  void merge();
  void unmerge();
  // Takes every adapter off the model.
  void remove();

  const LoraConfig& config() const { return config_; }
  std::size_t size() const { return layers_.size(); }

 private:
  struct Layer {
    std::string path;
    AdaptableLinear linear;
    std::shared_ptr<LoraLinear> lora;
  };
  LoraConfig config_;
  std::vector<Layer> layers_;
  bool merged_ = false;
};

}  // namespace wf::diffusion
