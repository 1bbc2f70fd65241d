#include "diffusion/diffusers_folder.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"

namespace wf::diffusion {
namespace fs = std::filesystem;

fs::path find_weights(const fs::path& dir, const std::string& stem, const std::string& variant) {
  if (!fs::is_directory(dir)) {
    throw Error(ErrorCode::not_found, "model folder not found", dir, "give the path of a diffusers model folder");
  }
  std::vector<fs::path> candidates;
  if (!variant.empty()) candidates.push_back(dir / (stem + "." + variant + ".safetensors"));
  candidates.push_back(dir / (stem + ".safetensors"));
  if (variant.empty()) candidates.push_back(dir / (stem + ".fp16.safetensors"));
  for (const auto& candidate : candidates) {
    if (fs::is_regular_file(candidate)) return candidate;
  }
  for (const char* pickle : {".bin", ".ckpt", ".pt"}) {
    const fs::path file = dir / (stem + pickle);
    if (fs::exists(file)) {
      throw Error(ErrorCode::unsupported, "PyTorch pickle weights are not loaded (loading a pickle runs code)", file,
                  "convert it once in Python: safetensors.torch.save_file(torch.load(f), '" + stem + ".safetensors')");
    }
  }
  if (fs::exists(dir / (stem + ".safetensors.index.json"))) {
    throw Error(ErrorCode::unsupported, "sharded weights are not supported", dir / (stem + ".safetensors.index.json"),
                "save the model unsharded (Stable Diffusion 1.x components fit in one file)");
  }
  throw Error(ErrorCode::not_found, "no " + candidates.front().filename().string() + " in the model folder", dir,
              "give the folder of a diffusers component (with config.json and its .safetensors weights)");
}

void load_weights(torch::nn::Module& module, const fs::path& file, const std::vector<std::string>& ignored) {
  core::StateDict tensors = core::load_safetensors(file);
  for (const auto& key : ignored) tensors.erase(key);
  core::load_state_dict(module, tensors, true, file);
}

void save_component(const fs::path& dir, const nlohmann::json& config, const torch::nn::Module& module,
                    const std::string& stem, const std::string& variant) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::invalid_input, "cannot create the model folder: " + ec.message(), dir);
  core::StateDict state = core::module_state(module);
  if (variant == "fp16" || variant == "bf16") {
    const auto dtype = variant == "fp16" ? at::kHalf : at::kBFloat16;
    for (auto& [key, tensor] : state) {
      if (tensor.is_floating_point()) tensor = tensor.to(dtype);
    }
  }
  core::save_safetensors(dir / (stem + (variant.empty() ? "" : "." + variant) + ".safetensors"), state);
  core::write_json_file(dir / "config.json", config);
}

fs::path component_dir(const fs::path& pipeline_dir, const std::string& name) {
  const fs::path index = pipeline_dir / "model_index.json";
  if (!fs::is_regular_file(index)) {
    throw Error(ErrorCode::not_found, "no model_index.json", pipeline_dir,
                "give the folder of a diffusers Stable Diffusion model (it has model_index.json, unet/, vae/, "
                "text_encoder/, tokenizer/ and scheduler/)");
  }
  const nlohmann::json value = core::read_json_file(index);
  if (!value.contains(name)) {
    throw Error(ErrorCode::not_found, "model_index.json lists no '" + name + "' component", index,
                "use a Stable Diffusion 1.x pipeline folder");
  }
  const fs::path dir = pipeline_dir / name;
  if (!fs::is_directory(dir)) {
    throw Error(ErrorCode::not_found, "the '" + name + "' folder named in model_index.json is missing", dir,
                "download or copy the whole model folder");
  }
  return dir;
}

}  // namespace wf::diffusion
