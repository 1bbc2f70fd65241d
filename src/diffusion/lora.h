#pragma once
// LoRA (peft's LoraLayer) on the UNet and, optionally, the text encoder: a low-rank update B·A added to chosen
// linear and convolution layers (anything built from AdaptableLinear / AdaptableConv2d). A is initialised
// kaiming-uniform(a = sqrt(5)) and B zero, so the model is unchanged at first; the output is scaled by
// alpha / r and by a run-time scale; dropout applies to the input. A convolution's A has the layer's kernel,
// stride and padding and its B is 1x1, as in peft.
//
// Saved in the diffusers/peft form: `pytorch_lora_weights.safetensors` with `unet.<module path>.lora_A.weight`
// / `lora_B.weight` (and `text_encoder.<path>...`), diffusers' `lora_adapter_metadata`, and `adapter_config.json`
// (r, lora_alpha, target_modules) beside it. Loaded from that or kohya's layout (lora_formats.h).

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "diffusion/adaptable_layer.h"
#include "options/lora_options.h"

namespace wf::diffusion {

// The UNet's usual choice (the LoRA option's default) and the text encoder's.
inline const std::vector<std::string>& kUnetAttentionModules = options::kLoraAttentionModules;
inline const std::vector<std::string> kTextEncoderAttentionModules{"q_proj", "k_proj", "v_proj", "out_proj"};

struct LoraConfig {
  int64_t rank = 16;
  double alpha = 16;
  double dropout = 0;
  // Module names a UNet layer's path must end with (peft's target_modules); conv1, conv2, conv_shortcut,
  // proj_in, proj_out, time_emb_proj reach the ResNet and projection layers too.
  std::vector<std::string> target_modules = kUnetAttentionModules;
  // The same for the text encoder (CLIP's q_proj, k_proj, v_proj, out_proj, fc1, fc2); empty: not adapted.
  std::vector<std::string> text_encoder_target_modules{};
};

class LoraLayerImpl : public LayerAdapter {
 public:
  // A fresh LoRA of rank `rank` for `base` (a linear or a convolution layer).
  LoraLayerImpl(const AdaptableLayer& base, int64_t rank, double alpha, double dropout);
  at::Tensor forward(const at::Tensor& x) override;
  // scale x alpha / r x B A in the base weight's shape: what merging adds to it.
  at::Tensor delta_weight() const;
  int64_t rank() const { return lora_A->weight.size(0); }
  double alpha() const { return scaling_ * static_cast<double>(rank()); }

  struct Weight : torch::nn::Module {  // lora_A / lora_B: a bias-free layer's `weight`
    at::Tensor weight;
  };
  std::shared_ptr<Weight> lora_A, lora_B;
  double scale = 1.0;  // the run-time strength (diffusers' lora_scale)

 private:
  bool conv_;
  int64_t stride_ = 1, padding_ = 0;
  double scaling_;
  torch::nn::Dropout dropout_{nullptr};
};

// The LoRA layers of a UNet (and text encoder), by component and module path
// ("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q").
class LoraSet {
 public:
  // Adds a fresh LoRA to every adaptable layer whose path ends with a target module. Throws invalid_input naming
  // the targets when none matches.
  static LoraSet inject(torch::nn::Module& unet, const LoraConfig& config, torch::nn::Module* text_encoder = nullptr);
  // Reads a diffusers/peft or kohya file and attaches it. Text-encoder weights apply when `text_encoder` is
  // given (else they are skipped with a warning). Throws wf::Error naming `file` and the first keys that fail:
  // keys that match no layer, A and B ranks that disagree, shapes of another base model.
  static LoraSet load(torch::nn::Module& unet, const std::filesystem::path& file,
                      torch::nn::Module* text_encoder = nullptr);

  // diffusers/peft form: the weights file and adapter_config.json beside it, each atomically.
  void save(const std::filesystem::path& file) const;
  // Every LoRA layer under one module (names "<component>_<path with _>"): what a trainer optimises and
  // checkpoints.
  torch::nn::Module& module() const { return *module_; }
  std::vector<at::Tensor> parameters() const;
  void set_scale(double scale);
  // Folds scale x B A into the base weights (and takes the adapters off) / subtracts it back (and puts them on).
  void merge();
  void unmerge();
  // Takes every adapter off the model.
  void remove();

  const LoraConfig& config() const { return config_; }
  std::size_t size() const { return layers_.size(); }
  std::vector<std::string> layer_names() const;  // "<component>.<module path>", as the saved keys begin

 private:
  struct Layer {
    std::string component, path;
    std::shared_ptr<AdaptableLayer> base;
    std::shared_ptr<LoraLayerImpl> lora;
  };
  void add(Layer layer);

  LoraConfig config_;
  std::vector<Layer> layers_;
  std::shared_ptr<torch::nn::Module> module_ = std::make_shared<torch::nn::Module>();
  bool merged_ = false;
};

}  // namespace wf::diffusion
