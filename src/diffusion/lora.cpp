#include "diffusion/lora.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/json_io.h"
#include "core/log.h"
#include "core/state_dict.h"
#include "diffusion/lora_formats.h"

namespace wf::diffusion {
namespace fs = std::filesystem;
namespace {

constexpr const char* kAdapterName = "lora";

bool ends_with_module(const std::string& path, const std::string& target) {
  return path == target || path.ends_with("." + target);
}

std::map<std::string, std::shared_ptr<AdaptableLayer>> adaptable_layers(torch::nn::Module& model) {
  std::map<std::string, std::shared_ptr<AdaptableLayer>> out;
  for (const auto& item : model.named_modules()) {
    if (auto layer = std::dynamic_pointer_cast<AdaptableLayer>(item.value())) out.emplace(item.key(), layer);
  }
  return out;
}

// A file's A and B shaped for `base`: a 1x1 convolution's LoRA may be stored as a linear one and back, and a
// convolution's B (always 1x1) as a matrix.
bool fit_to(const AdaptableLayer& base, LoraWeights& weights) {
  if (!weights.down.defined() || !weights.up.defined() || weights.down.size(0) != weights.up.size(1)) return false;
  const bool conv = base.weight.dim() == 4;
  const bool pointwise = conv && base.weight.size(2) == 1 && base.weight.size(3) == 1;
  auto as_conv = [](const at::Tensor& t) { return t.dim() == 2 ? t.unsqueeze(-1).unsqueeze(-1) : t; };
  auto as_linear = [](const at::Tensor& t) {
    return t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1 ? t.flatten(1) : t;
  };
  if (conv) {
    weights.up = as_conv(weights.up);
    if (pointwise) weights.down = as_conv(weights.down);
  } else {
    weights.down = as_linear(weights.down);
    weights.up = as_linear(weights.up);
  }
  return weights.down.dim() == base.weight.dim() && weights.up.dim() == base.weight.dim();
}

}  // namespace

LoraLayerImpl::LoraLayerImpl(const AdaptableLayer& base, int64_t rank, double alpha, double dropout)
    : conv_(base.weight.dim() == 4), scaling_(alpha / static_cast<double>(rank)) {
  const auto& w = base.weight;
  lora_A = register_module("lora_A", std::make_shared<Weight>());
  lora_B = register_module("lora_B", std::make_shared<Weight>());
  const auto options = at::TensorOptions(w.scalar_type()).device(w.device());
  // A: kaiming-uniform(a = sqrt(5)) over its fan-in (torch.nn's own initialisation, which peft keeps); B: zero.
  lora_A->weight =
      lora_A->register_parameter("weight", conv_ ? at::empty({rank, w.size(1), w.size(2), w.size(3)}, options)
                                                 : at::empty({rank, w.size(1)}, options));
  torch::nn::init::kaiming_uniform_(lora_A->weight, std::sqrt(5.0));
  lora_B->weight = lora_B->register_parameter(
      "weight", conv_ ? at::zeros({w.size(0), rank, 1, 1}, options) : at::zeros({w.size(0), rank}, options));
  if (const auto* conv = dynamic_cast<const AdaptableConv2dImpl*>(&base)) {
    stride_ = conv->stride();
    padding_ = conv->padding();
  }
  if (dropout > 0) dropout_ = register_module("lora_dropout", torch::nn::Dropout(dropout));
}

at::Tensor LoraLayerImpl::forward(const at::Tensor& x) {
  const at::Tensor input = dropout_ ? dropout_->forward(x) : x;
  const at::Tensor low = conv_ ? at::conv2d(input, lora_A->weight, {}, {stride_, stride_}, {padding_, padding_})
                               : at::linear(input, lora_A->weight);
  return (conv_ ? at::conv2d(low, lora_B->weight) : at::linear(low, lora_B->weight)) * (scaling_ * scale);
}

at::Tensor LoraLayerImpl::delta_weight() const {
  const at::Tensor a = lora_A->weight, b = lora_B->weight;
  std::vector<int64_t> shape{b.size(0)};
  for (int64_t d = 1; d < a.dim(); ++d) shape.push_back(a.size(d));
  return at::matmul(b.flatten(1), a.flatten(1)).view(shape) * (scaling_ * scale);  // [out, r] x [r, in k k]
}

void LoraSet::add(Layer layer) {
  std::string name = layer.component + "_" + layer.path;
  std::replace(name.begin(), name.end(), '.', '_');
  module_->register_module(name, layer.lora);
  layers_.push_back(std::move(layer));
}

LoraSet LoraSet::inject(torch::nn::Module& unet, const LoraConfig& config, torch::nn::Module* text_encoder) {
  if (config.rank < 1) throw Error(ErrorCode::invalid_input, "the LoRA rank must be at least 1");
  LoraSet set;
  set.config_ = config;
  auto inject_into = [&](torch::nn::Module& model, const std::string& component,
                         const std::vector<std::string>& targets) {
    for (auto& [path, base] : adaptable_layers(model)) {
      const bool targeted =
          std::any_of(targets.begin(), targets.end(), [&](const std::string& t) { return ends_with_module(path, t); });
      if (!targeted) continue;
      auto lora = std::make_shared<LoraLayerImpl>(*base, config.rank, config.alpha, config.dropout);
      base->add_adapter(kAdapterName, lora);
      set.add({component, path, base, lora});
    }
  };
  inject_into(unet, "unet", config.target_modules);
  const std::size_t unet_layers = set.layers_.size();
  if (text_encoder && !config.text_encoder_target_modules.empty()) {
    inject_into(*text_encoder, "text_encoder", config.text_encoder_target_modules);
  }
  if (unet_layers == 0 ||
      (text_encoder && !config.text_encoder_target_modules.empty() && set.layers_.size() == unet_layers)) {
    const auto& missing = unet_layers == 0 ? config.target_modules : config.text_encoder_target_modules;
    set.remove();
    throw Error(ErrorCode::invalid_input, "no layer matches the LoRA target modules " + first_keys(missing), {},
                unet_layers == 0 ? "name UNet modules, e.g. to_q, to_k, to_v, to_out.0, conv1, conv2, proj_in"
                                 : "name text-encoder modules, e.g. q_proj, k_proj, v_proj, out_proj");
  }
  return set;
}

LoraSet LoraSet::load(torch::nn::Module& unet, const fs::path& file, torch::nn::Module* text_encoder) {
  std::map<std::string, std::map<std::string, std::shared_ptr<AdaptableLayer>>> models{
      {"unet", adaptable_layers(unet)}};
  if (text_encoder) models["text_encoder"] = adaptable_layers(*text_encoder);
  std::map<std::string, std::set<std::string>> paths;
  for (const auto& [component, layers] : models) {
    for (const auto& [path, layer] : layers) paths[component].insert(path);
  }
  LoraFile weights = read_lora_file(file, paths);
  if (weights.skipped_text_encoder_keys > 0) {
    log::warn("lora", "{}: {} text-encoder keys are not applied (UNet only)", file.string(),
              weights.skipped_text_encoder_keys);
  }
  std::vector<Layer> loaded;
  std::vector<std::string> bad;
  std::set<std::string> unet_targets, text_targets;
  for (auto& [component, layers] : weights.components) {
    for (auto& [path, pair] : layers) {
      const auto& base = models.at(component).at(path);
      const std::string name = component + "." + path;
      if (!fit_to(*base, pair)) {
        bad.push_back(name + " (A and B missing or of different ranks)");
        continue;
      }
      const at::Tensor& w = base->weight;
      bool fits = pair.down.size(1) == w.size(1) && pair.up.size(0) == w.size(0);
      for (int64_t d = 2; d < w.dim(); ++d) fits = fits && pair.down.size(d) == w.size(d);
      if (!fits) {
        bad.push_back(name + " (made for a " + std::to_string(pair.down.size(1)) + " -> " +
                      std::to_string(pair.up.size(0)) + " layer, the model's is " + std::to_string(w.size(1)) + " -> " +
                      std::to_string(w.size(0)) + (w.dim() == 4 ? ", weight " + core::shape_text(w.sizes()) : "") +
                      ")");
        continue;
      }
      const int64_t rank = pair.down.size(0);
      const double alpha = pair.alpha.value_or(static_cast<double>(rank));
      auto lora = std::make_shared<LoraLayerImpl>(*base, rank, alpha, 0.0);
      {
        torch::NoGradGuard no_grad;
        lora->lora_A->weight.copy_(pair.down);
        lora->lora_B->weight.copy_(pair.up);
      }
      const auto last = path.rfind('.');
      std::string target = last == std::string::npos ? path : path.substr(last + 1);
      if (path.ends_with(".to_out.0")) target = "to_out.0";
      (component == "unet" ? unet_targets : text_targets).insert(target);
      loaded.push_back({component, path, base, lora});
    }
  }
  if (!bad.empty()) {
    throw Error(ErrorCode::invalid_input, "LoRA layers that do not fit this model: " + first_keys(bad), file,
                "use a LoRA made for this base model (Stable Diffusion 1.x)");
  }
  LoraSet set;
  for (auto& layer : loaded) {
    layer.base->add_adapter(kAdapterName, layer.lora);
    set.add(std::move(layer));
  }
  // The most common rank and alpha are the config's; save() writes the others as peft's rank/alpha patterns.
  std::map<int64_t, int> ranks;
  std::map<double, int> alphas;
  for (const auto& layer : set.layers_) {
    ++ranks[layer.lora->rank()];
    ++alphas[layer.lora->alpha()];
  }
  auto most = [](const auto& counts) {
    return std::max_element(counts.begin(), counts.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })
        ->first;
  };
  set.config_.rank = most(ranks);
  set.config_.alpha = most(alphas);
  set.config_.target_modules.assign(unet_targets.begin(), unet_targets.end());
  set.config_.text_encoder_target_modules.assign(text_targets.begin(), text_targets.end());
  return set;
}

void LoraSet::save(const fs::path& file) const {
  core::StateDict tensors;
  bool text_encoder = false;
  for (const auto& layer : layers_) {
    tensors[layer.component + "." + layer.path + ".lora_A.weight"] = layer.lora->lora_A->weight.detach().cpu();
    tensors[layer.component + "." + layer.path + ".lora_B.weight"] = layer.lora->lora_B->weight.detach().cpu();
    text_encoder = text_encoder || layer.component == "text_encoder";
  }
  auto peft_config = [&](const std::string& component, const std::vector<std::string>& targets) {
    // Layers whose rank or alpha differ from the config's (a loaded kohya file may mix them): peft's patterns.
    nlohmann::json rank_pattern = nlohmann::json::object(), alpha_pattern = nlohmann::json::object();
    for (const auto& layer : layers_) {
      if (layer.component != component) continue;
      if (layer.lora->rank() != config_.rank) rank_pattern[layer.path] = layer.lora->rank();
      if (std::abs(layer.lora->alpha() - config_.alpha) > 1e-9) alpha_pattern[layer.path] = layer.lora->alpha();
    }
    return nlohmann::json{{"peft_type", "LORA"},           {"r", config_.rank},
                          {"lora_alpha", config_.alpha},   {"lora_dropout", config_.dropout},
                          {"target_modules", targets},     {"bias", "none"},
                          {"init_lora_weights", true},     {"rank_pattern", rank_pattern},
                          {"alpha_pattern", alpha_pattern}};
  };
  // diffusers' lora_adapter_metadata: each component's LoraConfig with its name as prefix.
  nlohmann::json metadata;
  const nlohmann::json unet_config = peft_config("unet", config_.target_modules);
  for (const auto& [key, value] : unet_config.items()) metadata["unet." + key] = value;
  if (text_encoder) {
    const nlohmann::json text_config = peft_config("text_encoder", config_.text_encoder_target_modules);
    for (const auto& [key, value] : text_config.items()) metadata["text_encoder." + key] = value;
  }
  core::save_safetensors(file, tensors, {{"format", "pt"}, {"lora_adapter_metadata", metadata.dump(2)}});
  core::write_json_file(file.parent_path() / "adapter_config.json", unet_config);
}

std::vector<at::Tensor> LoraSet::parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& layer : layers_) {
    out.push_back(layer.lora->lora_A->weight);
    out.push_back(layer.lora->lora_B->weight);
  }
  return out;
}

std::vector<std::string> LoraSet::layer_names() const {
  std::vector<std::string> out;
  for (const auto& layer : layers_) out.push_back(layer.component + "." + layer.path);
  return out;
}

void LoraSet::set_scale(double scale) {
  if (merged_) throw Error(ErrorCode::invalid_input, "unmerge the LoRA before changing its scale");
  for (auto& layer : layers_) layer.lora->scale = scale;
}

void LoraSet::merge() {
  if (merged_) return;
  torch::NoGradGuard no_grad;
  for (auto& layer : layers_) {
    layer.base->weight.add_(layer.lora->delta_weight().to(layer.base->weight.scalar_type()));
    layer.base->remove_adapter(kAdapterName);
  }
  merged_ = true;
}

void LoraSet::unmerge() {
  if (!merged_) return;
  torch::NoGradGuard no_grad;
  for (auto& layer : layers_) {
    layer.base->weight.sub_(layer.lora->delta_weight().to(layer.base->weight.scalar_type()));
    layer.base->add_adapter(kAdapterName, layer.lora);
  }
  merged_ = false;
}

void LoraSet::remove() {
  if (merged_) unmerge();
  for (auto& layer : layers_) layer.base->remove_adapter(kAdapterName);
  layers_.clear();
  module_ = std::make_shared<torch::nn::Module>();
}

}  // namespace wf::diffusion
