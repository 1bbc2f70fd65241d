#include "diffusion/unet_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace wf::diffusion {
namespace {

const char* const kHint = "use the config.json of a Stable Diffusion 1.x/2.x diffusers folder";

// A value that is either one number for every block or one per block.
std::vector<int64_t> per_block(const nlohmann::json& value, std::size_t blocks, const char* key,
                               const std::filesystem::path& source) {
  std::vector<int64_t> out;
  if (value.is_number_integer())
    out.assign(blocks, value.get<int64_t>());
  else
    out = value.get<std::vector<int64_t>>();
  if (out.size() != blocks) {
    throw Error(
        ErrorCode::corrupt_file,
        std::string(key) + " lists " + std::to_string(out.size()) + " values for " + std::to_string(blocks) + " blocks",
        source, kHint);
  }
  for (int64_t v : out) {
    if (v < 1) throw Error(ErrorCode::corrupt_file, std::string(key) + " must be positive", source, kHint);
  }
  return out;
}

void require_supported(const nlohmann::json& value, const std::filesystem::path& source) {
  auto unsupported = [&](const std::string& what) { throw Error(ErrorCode::unsupported, what, source, kHint); };
  if (value.value("act_fn", std::string("silu")) != "silu") unsupported("only the SiLU activation is supported");
  if (value.value("mid_block_type", std::string("UNetMidBlock2DCrossAttn")) != "UNetMidBlock2DCrossAttn") {
    unsupported("mid_block_type '" + value.at("mid_block_type").get<std::string>() + "' is not supported");
  }
  for (const char* key : {"class_embed_type", "addition_embed_type", "encoder_hid_dim", "time_cond_proj_dim"}) {
    if (value.contains(key) && !value.at(key).is_null()) unsupported(std::string("'") + key + "' is not supported");
  }
  if (value.value("only_cross_attention", false)) unsupported("only_cross_attention is not supported");
  if (value.value("dual_cross_attention", false)) unsupported("dual_cross_attention is not supported");
  if (value.contains("transformer_layers_per_block")) {
    const auto& layers = value.at("transformer_layers_per_block");
    const bool one =
        layers.is_number_integer()
            ? layers.get<int64_t>() == 1
            : std::all_of(layers.begin(), layers.end(), [](const auto& v) { return v.template get<int64_t>() == 1; });
    if (!one) unsupported("transformer_layers_per_block other than 1 is not supported (SDXL)");
  }
  if (value.value("mid_block_scale_factor", 1.0) != 1.0) unsupported("mid_block_scale_factor other than 1");
  if (value.value("downsample_padding", 1) != 1) unsupported("downsample_padding other than 1");
}

}  // namespace

UNet2DConditionConfig UNet2DConditionConfig::from_json(const nlohmann::json& value,
                                                       const std::filesystem::path& source) {
  UNet2DConditionConfig c;
  try {
    require_supported(value, source);
    c.in_channels = value.value("in_channels", c.in_channels);
    c.out_channels = value.value("out_channels", c.out_channels);
    c.sample_size = value.value("sample_size", c.sample_size);
    c.down_block_types = value.value("down_block_types", c.down_block_types);
    c.up_block_types = value.value("up_block_types", c.up_block_types);
    c.block_out_channels = value.value("block_out_channels", c.block_out_channels);
    c.layers_per_block = value.value("layers_per_block", c.layers_per_block);
    c.norm_num_groups = value.value("norm_num_groups", c.norm_num_groups);
    c.norm_eps = value.value("norm_eps", c.norm_eps);
    c.use_linear_projection = value.value("use_linear_projection", c.use_linear_projection);
    c.flip_sin_to_cos = value.value("flip_sin_to_cos", c.flip_sin_to_cos);
    c.freq_shift = value.value("freq_shift", c.freq_shift);
    c.upcast_attention = value.value("upcast_attention", c.upcast_attention);
    if (value.contains("cross_attention_dim")) c.cross_attention_dim = value.at("cross_attention_dim").get<int64_t>();
    const std::size_t blocks = c.block_out_channels.size();
    // diffusers: num_attention_heads = num_attention_heads or attention_head_dim.
    const char* heads_key = value.contains("num_attention_heads") && !value.at("num_attention_heads").is_null()
                                ? "num_attention_heads"
                                : "attention_head_dim";
    c.num_attention_heads = value.contains(heads_key) ? per_block(value.at(heads_key), blocks, heads_key, source)
                                                      : per_block(8, blocks, heads_key, source);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed UNet config: ") + e.what(), source, kHint);
  }
  const std::size_t blocks = c.block_out_channels.size();
  if (blocks == 0 || c.down_block_types.size() != blocks || c.up_block_types.size() != blocks) {
    throw Error(ErrorCode::corrupt_file, "block_out_channels, down_block_types and up_block_types differ in length",
                source, kHint);
  }
  for (const auto& type : c.down_block_types) {
    if (type != "CrossAttnDownBlock2D" && type != "DownBlock2D") {
      throw Error(ErrorCode::unsupported, "down block type '" + type + "' is not supported", source, kHint);
    }
  }
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::string& type = c.up_block_types[i];
    if (type != "CrossAttnUpBlock2D" && type != "UpBlock2D") {
      throw Error(ErrorCode::unsupported, "up block type '" + type + "' is not supported", source, kHint);
    }
    if (c.block_out_channels[i] % c.norm_num_groups != 0 || c.block_out_channels[i] % c.num_attention_heads[i] != 0) {
      throw Error(ErrorCode::corrupt_file,
                  "block_out_channels[" + std::to_string(i) + "] is not a multiple of norm_num_groups and the heads",
                  source, kHint);
    }
  }
  if (c.layers_per_block < 1 || c.in_channels < 1 || c.out_channels < 1 || c.cross_attention_dim < 1) {
    throw Error(ErrorCode::corrupt_file, "channel counts and layers_per_block must be positive", source, kHint);
  }
  return c;
}

nlohmann::json UNet2DConditionConfig::to_json() const {
  return {{"_class_name", "UNet2DConditionModel"},
          {"act_fn", "silu"},
          {"attention_head_dim", num_attention_heads},
          {"block_out_channels", block_out_channels},
          {"center_input_sample", false},
          {"cross_attention_dim", cross_attention_dim},
          {"down_block_types", down_block_types},
          {"downsample_padding", 1},
          {"flip_sin_to_cos", flip_sin_to_cos},
          {"freq_shift", freq_shift},
          {"in_channels", in_channels},
          {"layers_per_block", layers_per_block},
          {"mid_block_scale_factor", 1},
          {"norm_eps", norm_eps},
          {"norm_num_groups", norm_num_groups},
          {"out_channels", out_channels},
          {"sample_size", sample_size},
          {"up_block_types", up_block_types},
          {"upcast_attention", upcast_attention},
          {"use_linear_projection", use_linear_projection}};
}

ControlNetConfig ControlNetConfig::from_json(const nlohmann::json& value, const std::filesystem::path& source) {
  nlohmann::json unet = value;
  // A ControlNet config has no up blocks; give the shared reader a mirror so its length checks hold.
  if (!unet.contains("up_block_types") && unet.contains("down_block_types")) {
    std::vector<std::string> up;
    for (const auto& type : unet.at("down_block_types")) {
      up.push_back(type.get<std::string>() == "CrossAttnDownBlock2D" ? "CrossAttnUpBlock2D" : "UpBlock2D");
    }
    unet["up_block_types"] = std::vector<std::string>(up.rbegin(), up.rend());
  }
  ControlNetConfig c;
  c.unet = UNet2DConditionConfig::from_json(unet, source);
  try {
    c.conditioning_channels = value.value("conditioning_channels", c.conditioning_channels);
    c.conditioning_embedding_out_channels =
        value.value("conditioning_embedding_out_channels", c.conditioning_embedding_out_channels);
    c.global_pool_conditions = value.value("global_pool_conditions", c.global_pool_conditions);
    if (value.value("controlnet_conditioning_channel_order", std::string("rgb")) != "rgb") {
      throw Error(ErrorCode::unsupported, "only the rgb conditioning channel order is supported", source, kHint);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed ControlNet config: ") + e.what(), source, kHint);
  }
  if (c.conditioning_embedding_out_channels.empty()) {
    throw Error(ErrorCode::corrupt_file, "conditioning_embedding_out_channels is empty", source, kHint);
  }
  return c;
}

ControlNetConfig ControlNetConfig::from_unet(const UNet2DConditionConfig& unet) {
  ControlNetConfig c;
  c.unet = unet;
  return c;
}

nlohmann::json ControlNetConfig::to_json() const {
  nlohmann::json out = unet.to_json();
  out.erase("up_block_types");
  out.erase("out_channels");
  out.erase("sample_size");
  out["_class_name"] = "ControlNetModel";
  out["conditioning_channels"] = conditioning_channels;
  out["conditioning_embedding_out_channels"] = conditioning_embedding_out_channels;
  out["controlnet_conditioning_channel_order"] = "rgb";
  out["global_pool_conditions"] = global_pool_conditions;
  return out;
}

UNet2DConditionConfig UNet2DConditionConfig::tiny(int64_t in_channels, int64_t cross_attention_dim) {
  UNet2DConditionConfig config;
  config.in_channels = in_channels;
  config.sample_size = 16;
  config.down_block_types = {"CrossAttnDownBlock2D", "DownBlock2D"};
  config.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D"};
  config.block_out_channels = {32, 64};
  config.layers_per_block = 1;
  config.cross_attention_dim = cross_attention_dim;
  config.num_attention_heads = {8, 8};
  return config;
}

}  // namespace wf::diffusion
