#include "diffusion/lora.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/log.h"

namespace wf::diffusion {
namespace fs = std::filesystem;
namespace {

constexpr const char* kAdapterName = "lora";
constexpr const char* kPrefix = "unet.";
constexpr const char* kKohyaPrefix = "lora_unet_";

bool ends_with_module(const std::string& path, const std::string& target) {
  return path == target ||
         (path.size() > target.size() && path.compare(path.size() - target.size(), target.size(), target) == 0 &&
          path[path.size() - target.size() - 1] == '.');
}

std::map<std::string, AdaptableLinear> linear_layers(torch::nn::Module& model) {
  std::map<std::string, AdaptableLinear> out;
  for (const auto& item : model.named_modules()) {
    if (auto linear = std::dynamic_pointer_cast<AdaptableLinearImpl>(item.value())) out.emplace(item.key(), AdaptableLinear(linear));
  }
  return out;
}

std::string first_keys(const std::vector<std::string>& keys) {
  std::string text;
  for (std::size_t i = 0; i < keys.size() && i < 5; ++i) text += (i ? ", " : "") + keys[i];
  return keys.size() > 5 ? text + " (and " + std::to_string(keys.size() - 5) + " more)" : text;
}

struct FilePair {
  at::Tensor down, up;  // A [r, in], B [out, r]
  std::optional<double> alpha;
};

}  // namespace

LoraLinear::LoraLinear(int64_t in_features, int64_t out_features, int64_t rank, double alpha, double dropout)
    : scaling_(alpha / static_cast<double>(rank)) {
  // torch.nn.Linear's own initialisation is peft's for A: kaiming-uniform with a = sqrt(5).
  lora_A = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(in_features, rank).bias(false)));
  lora_B = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(rank, out_features).bias(false)));
  torch::nn::init::zeros_(lora_B->weight);
  if (dropout > 0) dropout_ = register_module("lora_dropout", torch::nn::Dropout(dropout));
}

at::Tensor LoraLinear::forward(const at::Tensor& x) {
  return lora_B->forward(lora_A->forward(dropout_ ? dropout_->forward(x) : x)) * (scaling_ * scale);
}

at::Tensor LoraLinear::delta_weight() const { return at::matmul(lora_B->weight, lora_A->weight) * (scaling_ * scale); }

LoraSet LoraSet::inject(torch::nn::Module& model, const LoraConfig& config) {
  if (config.rank < 1) throw Error(ErrorCode::invalid_input, "the LoRA rank must be at least 1");
  LoraSet set;
  set.config_ = config;
  for (auto& [path, linear] : linear_layers(model)) {
    const bool targeted = std::any_of(config.target_modules.begin(), config.target_modules.end(),
                                      [&](const std::string& t) { return ends_with_module(path, t); });
    if (!targeted) continue;
    auto lora = std::make_shared<LoraLinear>(linear->weight.size(1), linear->weight.size(0), config.rank, config.alpha,
                                             config.dropout);
    lora->to(linear->weight.device());
    linear->add_adapter(kAdapterName, lora);
    set.layers_.push_back({path, linear, lora});
  }
  if (set.layers_.empty()) {
    throw Error(ErrorCode::invalid_input, "no layer matches the LoRA target modules " + first_keys(config.target_modules),
                {}, "name modules of the model, e.g. to_q, to_k, to_v, to_out.0");
  }
  return set;
}

LoraSet LoraSet::load(torch::nn::Module& model, const fs::path& file) {
  const core::StateDict tensors = core::load_safetensors(file);
  const auto layers = linear_layers(model);
  std::map<std::string, std::string> kohya_names;  // "down_blocks_0_..._to_q" -> "down_blocks.0....to_q"
  for (const auto& [path, linear] : layers) {
    std::string name = path;
    std::replace(name.begin(), name.end(), '.', '_');
    kohya_names.emplace(name, path);
  }
  std::map<std::string, FilePair> pairs;
  std::vector<std::string> unmatched;
  std::size_t text_encoder_keys = 0;
  for (const auto& [key, tensor] : tensors) {
    auto take = [&](const std::string& module, const std::string& part) {
      if (!layers.count(module)) return unmatched.push_back(key);
      FilePair& pair = pairs[module];
      if (part == "down") pair.down = tensor;
      else if (part == "up") pair.up = tensor;
      else pair.alpha = tensor.item<double>();
    };
    if (key.rfind("lora_te", 0) == 0) {
      ++text_encoder_keys;
    } else if (key.rfind(kKohyaPrefix, 0) == 0) {
      const std::string rest = key.substr(std::string(kKohyaPrefix).size());
      const auto dot = rest.find('.');
      const std::string part = rest.substr(dot + 1);
      const auto it = kohya_names.find(rest.substr(0, dot));
      if (dot == std::string::npos || it == kohya_names.end()) { unmatched.push_back(key); continue; }
      take(it->second, part == "lora_down.weight" ? "down" : part == "lora_up.weight" ? "up" : part == "alpha" ? "alpha" : "?");
    } else {
      std::string path = key.rfind(kPrefix, 0) == 0 ? key.substr(std::string(kPrefix).size()) : key;
      for (const char* part : {".lora_A.weight", ".lora_B.weight"}) {
        const std::string suffix(part);
        if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
          take(path.substr(0, path.size() - suffix.size()), suffix == ".lora_A.weight" ? "down" : "up");
          path.clear();
          break;
        }
      }
      if (!path.empty()) unmatched.push_back(key);
    }
  }
  if (!unmatched.empty()) {
    throw Error(ErrorCode::invalid_input, "LoRA keys that match no layer of the model: " + first_keys(unmatched), file,
                "use a LoRA made for Stable Diffusion 1.x's UNet (diffusers/peft or kohya format)");
  }
  if (text_encoder_keys > 0) log::warn("lora", "{}: {} text-encoder keys are not applied (UNet only)", file.string(), text_encoder_keys);
  if (pairs.empty()) throw Error(ErrorCode::invalid_input, "the file holds no LoRA weights", file);

  LoraConfig config;
  const fs::path adapter_config = file.parent_path() / "adapter_config.json";
  std::optional<double> config_alpha;
  if (fs::is_regular_file(adapter_config)) config_alpha = core::read_json_file(adapter_config).value("lora_alpha", 0.0);
  LoraSet set;
  std::vector<std::string> bad;
  for (const auto& [path, pair] : pairs) {
    const AdaptableLinear& linear = layers.at(path);
    if (!pair.down.defined() || !pair.up.defined() || pair.down.dim() != 2 || pair.up.dim() != 2 ||
        pair.down.size(0) != pair.up.size(1)) {
      bad.push_back(path + " (A and B missing or of different ranks)");
      continue;
    }
    if (pair.down.size(1) != linear->weight.size(1) || pair.up.size(0) != linear->weight.size(0)) {
      bad.push_back(path + " (made for a " + std::to_string(pair.down.size(1)) + " -> " + std::to_string(pair.up.size(0)) +
                    " layer, the model's is " + std::to_string(linear->weight.size(1)) + " -> " +
                    std::to_string(linear->weight.size(0)) + ")");
      continue;
    }
    const int64_t rank = pair.down.size(0);
    const double alpha = pair.alpha.value_or(config_alpha.value_or(static_cast<double>(rank)));
    auto lora = std::make_shared<LoraLinear>(linear->weight.size(1), linear->weight.size(0), rank, alpha, 0.0);
    {
      torch::NoGradGuard no_grad;
      lora->lora_A->weight.copy_(pair.down);
      lora->lora_B->weight.copy_(pair.up);
    }
    lora->to(linear->weight.device(), linear->weight.scalar_type());
    config.rank = rank;
    config.alpha = alpha;
    set.layers_.push_back({path, linear, lora});
  }
  if (!bad.empty()) {
    throw Error(ErrorCode::invalid_input, "LoRA layers that do not fit this model: " + first_keys(bad), file,
                "use a LoRA made for this base model (Stable Diffusion 1.x)");
  }
  for (auto& layer : set.layers_) AdaptableLinear(layer.linear)->add_adapter(kAdapterName, layer.lora);
  set.config_ = config;
  return set;
}

void LoraSet::save(const fs::path& file) const {
  core::StateDict tensors;
  std::vector<std::string> targets;
  for (const auto& layer : layers_) {
    tensors[kPrefix + layer.path + ".lora_A.weight"] = layer.lora->lora_A->weight.detach();
    tensors[kPrefix + layer.path + ".lora_B.weight"] = layer.lora->lora_B->weight.detach();
  }
  core::save_safetensors(file, tensors, {{"format", "pt"}});
  core::write_json_file(file.parent_path() / "adapter_config.json",
                        {{"peft_type", "LORA"},
                         {"r", config_.rank},
                         {"lora_alpha", config_.alpha},
                         {"lora_dropout", config_.dropout},
                         {"target_modules", config_.target_modules},
                         {"bias", "none"},
                         {"init_lora_weights", true}});
}

std::vector<at::Tensor> LoraSet::parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& layer : layers_) {
    out.push_back(layer.lora->lora_A->weight);
    out.push_back(layer.lora->lora_B->weight);
  }
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
    AdaptableLinear linear = layer.linear;
    linear->weight.add_(layer.lora->delta_weight().to(linear->weight.scalar_type()));
    linear->remove_adapter(kAdapterName);
  }
  merged_ = true;
}

void LoraSet::unmerge() {
  if (!merged_) return;
  torch::NoGradGuard no_grad;
  for (auto& layer : layers_) {
    AdaptableLinear linear = layer.linear;
    linear->weight.sub_(layer.lora->delta_weight().to(linear->weight.scalar_type()));
    linear->add_adapter(kAdapterName, layer.lora);
  }
  merged_ = false;
}

void LoraSet::remove() {
  if (merged_) unmerge();
  for (auto& layer : layers_) AdaptableLinear(layer.linear)->remove_adapter(kAdapterName);
  layers_.clear();
}

}  // namespace wf::diffusion
