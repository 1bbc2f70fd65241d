#include "diffusion/identity_adapter.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/state_dict.h"
#include "diffusion/diffusers_folder.h"

namespace wf::diffusion {
namespace fs = std::filesystem;
namespace {

nlohmann::json to_json(const ResamplerConfig& c) {
  return {{"dim", c.dim},           {"depth", c.depth},   {"dim_head", c.dim_head},
          {"heads", c.heads},       {"num_queries", c.num_queries}, {"embedding_dim", c.embedding_dim},
          {"output_dim", c.output_dim}, {"ff_mult", c.ff_mult}};
}

fs::path controlnet_dir(const fs::path& folder) {
  if (fs::is_directory(folder / "controlnet")) return folder / "controlnet";
  if (fs::is_directory(folder / "ControlNetModel")) return folder / "ControlNetModel";  // InstantID's release
  throw Error(ErrorCode::not_found, "no controlnet/ (or InstantID's ControlNetModel/) folder", folder,
              "give an identity adapter folder (watserface train identity --output) or InstantID's release");
}

}  // namespace

ResamplerConfig resampler_from_json(const nlohmann::json& v) {
  ResamplerConfig c;
  c.dim = v.value("dim", c.dim);
  c.depth = v.value("depth", c.depth);
  c.dim_head = v.value("dim_head", c.dim_head);
  c.heads = v.value("heads", c.heads);
  c.num_queries = v.value("num_queries", c.num_queries);
  c.embedding_dim = v.value("embedding_dim", c.embedding_dim);
  c.output_dim = v.value("output_dim", c.output_dim);
  c.ff_mult = v.value("ff_mult", c.ff_mult);
  return c;
}

IdentityAdapterImpl::IdentityAdapterImpl(UNet2DConditionModel& unet, const ResamplerConfig& resampler) {
  controlnet = register_module("controlnet", controlnet_from_unet(unet));
  ip_adapter = register_module("ip_adapter", IPAdapter(*unet, resampler));
}

at::Tensor IdentityAdapterImpl::predict(UNet2DConditionModel& unet, const at::Tensor& noisy,
                                        const at::Tensor& timesteps, const at::Tensor& text, const at::Tensor& embeddings,
                                        const at::Tensor& control) {
  const at::Tensor tokens = ip_adapter->image_tokens(embeddings);
  const ControlResiduals residuals = controlnet->forward(noisy, timesteps, tokens, control);
  return unet->forward(noisy, timesteps, ip_adapter->context(text, tokens), &residuals);
}

void IdentityAdapterImpl::condition(GenerationRequest& request, const at::Tensor& embedding, const at::Tensor& text,
                                    const at::Tensor& empty_text, const at::Tensor& control) {
  const at::Tensor tokens = ip_adapter->image_tokens(embedding);
  const at::Tensor empty_tokens = ip_adapter->image_tokens(at::zeros_like(embedding));
  request.prompt_embeds = ip_adapter->context(text, tokens);
  request.negative_prompt_embeds = ip_adapter->context(empty_text, empty_tokens);
  request.controlnet_prompt_embeds = tokens;
  request.negative_controlnet_prompt_embeds = empty_tokens;
  request.control_image = control;
}

void save_identity_adapter(const fs::path& folder, IdentityAdapterImpl& adapter, const IdentityAdapterInfo& info) {
  save_component(folder / "controlnet", adapter.controlnet->config().to_json(), *adapter.controlnet,
                            "diffusion_pytorch_model");
  core::save_safetensors(folder / "ip-adapter.safetensors", core::module_state(*adapter.ip_adapter));
  core::write_json_file(folder / "identity.json", {{"resampler", to_json(info.resampler)},
                                                   {"num_tokens", info.resampler.num_queries},
                                                   {"control", info.control},
                                                   {"prompt", info.prompt},
                                                   {"resolution", info.resolution}});
}

IdentityAdapterInfo read_identity_adapter_info(const fs::path& folder) {
  IdentityAdapterInfo info;
  if (!fs::exists(folder / "identity.json")) return info;
  try {
    const nlohmann::json value = core::read_json_file(folder / "identity.json");
    if (value.contains("resampler")) info.resampler = resampler_from_json(value.at("resampler"));
    info.prompt = value.value("prompt", info.prompt);
    info.control = value.value("control", info.control);
    info.resolution = value.value("resolution", info.resolution);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed identity.json: ") + e.what(), folder / "identity.json");
  }
  return info;
}

void load_identity_adapter(const fs::path& folder, IdentityAdapterImpl& adapter) {
  const fs::path controlnet = controlnet_dir(folder);
  load_weights(*adapter.controlnet, find_weights(controlnet, "diffusion_pytorch_model"));
  const fs::path ip = folder / "ip-adapter.safetensors";
  if (!fs::is_regular_file(ip)) {
    throw Error(ErrorCode::not_found, "no ip-adapter.safetensors", folder,
                fs::exists(folder / "ip-adapter.bin")
                    ? "convert ip-adapter.bin once in Python: flatten its image_proj and ip_adapter dicts into "
                      "'image_proj.<key>' / 'ip_adapter.<key>' and save with safetensors.torch.save_file"
                    : "give an identity adapter folder");
  }
  load_weights(*adapter.ip_adapter, ip);
}

IdentityAdapter load_frozen_identity_adapter(const fs::path& folder, const IdentityAdapterInfo& info,
                                             UNet2DConditionModel& unet, int64_t embedding_dim,
                                             const std::string& dataset, c10::Device device) {
  if (info.resampler.embedding_dim != embedding_dim) {
    throw Error(ErrorCode::invalid_input,
                "the identity adapter takes " + std::to_string(info.resampler.embedding_dim) +
                    "-wide face embeddings; the " + dataset + " dataset's are " + std::to_string(embedding_dim) +
                    " wide",
                folder, "extract the " + dataset + " with the embedder the identity adapter was trained with");
  }
  IdentityAdapter adapter(unet, info.resampler);
  load_identity_adapter(folder, *adapter);
  for (auto& parameter : adapter->parameters()) parameter.set_requires_grad(false);
  adapter->to(device);
  adapter->eval();
  return adapter;
}

}  // namespace wf::diffusion
