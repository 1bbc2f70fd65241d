#include "diffusion/lora_formats.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/safetensors.h"
#include "core/state_dict.h"

namespace wf::diffusion {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMetadataKey = "lora_adapter_metadata";

struct SavedAlphas {
  std::map<std::string, double> component;                         // "unet" -> lora_alpha
  std::map<std::string, std::map<std::string, double>> per_layer;  // "unet" -> alpha_pattern
};

// The alpha each component's adapter was saved with (and peft's per-layer alpha_pattern), when the file or its
// folder tells.
SavedAlphas saved_alphas(const fs::path& file) {
  SavedAlphas out;
  const core::SafetensorsFile weights(file);
  const auto& metadata = weights.metadata();
  if (const auto it = metadata.find(kMetadataKey); it != metadata.end()) {
    const auto json = nlohmann::json::parse(it->second, nullptr, false);
    if (!json.is_object()) {
      throw Error(ErrorCode::corrupt_file, std::string("the file's ") + kMetadataKey + " is not JSON", file,
                  "save the LoRA again");
    }
    for (const char* component : {"unet", "text_encoder"}) {
      const auto alpha = json.find(std::string(component) + ".lora_alpha");
      if (alpha != json.end() && alpha->is_number()) out.component[component] = alpha->get<double>();
      const auto pattern = json.find(std::string(component) + ".alpha_pattern");
      if (pattern == json.end() || !pattern->is_object()) continue;
      for (const auto& [path, value] : pattern->items()) {
        if (value.is_number()) out.per_layer[component][path] = value.get<double>();
      }
    }
  }
  const fs::path adapter_config = file.parent_path() / "adapter_config.json";
  if (!out.component.count("unet") && fs::is_regular_file(adapter_config)) {
    const auto config = core::read_json_file(adapter_config);
    if (config.contains("lora_alpha")) out.component["unet"] = config.at("lora_alpha").get<double>();
    const nlohmann::json pattern = config.value("alpha_pattern", nlohmann::json::object());
    for (const auto& [path, value] : pattern.items()) {
      if (value.is_number()) out.per_layer["unet"][path] = value.get<double>();
    }
  }
  return out;
}

}  // namespace

std::string first_keys(const std::vector<std::string>& keys) {
  std::string text;
  for (std::size_t i = 0; i < keys.size() && i < 5; ++i) text += (i ? ", " : "") + keys[i];
  return keys.size() > 5 ? text + " (and " + std::to_string(keys.size() - 5) + " more)" : text;
}

LoraFile read_lora_file(const fs::path& file, const std::map<std::string, std::set<std::string>>& layer_paths) {
  const core::StateDict tensors = core::load_safetensors(file);
  // kohya's flattened names: "lora_unet_down_blocks_0_..._to_q" -> ("unet", "down_blocks.0....to_q").
  std::map<std::string, std::pair<std::string, std::string>> kohya_names;
  for (const auto& [component, paths] : layer_paths) {
    const std::string prefix = component == "unet" ? "lora_unet_" : "lora_te_";
    for (const auto& path : paths) {
      std::string name = path;
      std::replace(name.begin(), name.end(), '.', '_');
      kohya_names.emplace(prefix + name, std::pair{component, path});
    }
  }
  LoraFile out;
  std::vector<std::string> unmatched, variants;
  auto take = [&](const std::string& key, const std::string& component, const std::string& path,
                  const std::string& part, const at::Tensor& tensor) {
    const auto paths = layer_paths.find(component);
    if (paths == layer_paths.end() || !paths->second.count(path)) return unmatched.push_back(key);
    LoraWeights& weights = out.components[component][path];
    if (part == "down") weights.down = tensor;
    if (part == "up") weights.up = tensor;
    if (part == "alpha") weights.alpha = tensor.item<double>();
  };
  for (const auto& [key, tensor] : tensors) {
    const bool text_encoder = key.rfind("lora_te", 0) == 0 || key.rfind("text_encoder.", 0) == 0;
    if (text_encoder && !layer_paths.count("text_encoder")) {
      ++out.skipped_text_encoder_keys;
      continue;
    }
    if (key.rfind("lora_unet_", 0) == 0 || key.rfind("lora_te", 0) == 0) {
      const auto dot = key.find('.');
      const std::string part = dot == std::string::npos ? "" : key.substr(dot + 1);
      const auto name = kohya_names.find(key.substr(0, dot));
      if (part == "lora_mid.weight" || part.rfind("hada_", 0) == 0 || part.rfind("lokr_", 0) == 0 ||
          part == "dora_scale") {
        variants.push_back(key);
      } else if (name == kohya_names.end()) {
        unmatched.push_back(key);
      } else if (part == "lora_down.weight" || part == "lora_up.weight" || part == "alpha") {
        take(key, name->second.first, name->second.second,
             part == "alpha"              ? "alpha"
             : part == "lora_down.weight" ? "down"
                                          : "up",
             tensor);
      } else {
        unmatched.push_back(key);
      }
      continue;
    }
    const auto dot = key.find('.');
    const std::string component = dot == std::string::npos ? "" : key.substr(0, dot);
    const std::string rest = dot == std::string::npos ? key : key.substr(dot + 1);
    if (key.ends_with(".lora_magnitude_vector") || key.ends_with(".lora_magnitude_vector.weight")) {
      variants.push_back(key);
    } else if (rest.ends_with(".lora_A.weight")) {
      take(key, component, rest.substr(0, rest.size() - 14), "down", tensor);
    } else if (rest.ends_with(".lora_B.weight")) {
      take(key, component, rest.substr(0, rest.size() - 14), "up", tensor);
    } else {
      unmatched.push_back(key);
    }
  }
  if (!variants.empty()) {
    throw Error(ErrorCode::unsupported,
                "LoRA variants other than plain LoRA are not supported: " + first_keys(variants), file,
                "use a plain LoRA (peft LoraConfig, or kohya's networks.lora)");
  }
  if (!unmatched.empty()) {
    throw Error(ErrorCode::invalid_input, "LoRA keys that match no layer of the model: " + first_keys(unmatched), file,
                "use a LoRA made for Stable Diffusion 1.x (diffusers/peft or kohya format)");
  }
  if (out.components.empty()) throw Error(ErrorCode::invalid_input, "the file holds no LoRA weights", file);
  const SavedAlphas alphas = saved_alphas(file);
  for (auto& [component, layers] : out.components) {
    const auto alpha = alphas.component.find(component);
    const auto pattern = alphas.per_layer.find(component);
    for (auto& [path, weights] : layers) {
      if (weights.alpha) continue;
      if (pattern != alphas.per_layer.end() && pattern->second.count(path))
        weights.alpha = pattern->second.at(path);
      else if (alpha != alphas.component.end())
        weights.alpha = alpha->second;
    }
  }
  return out;
}

}  // namespace wf::diffusion
