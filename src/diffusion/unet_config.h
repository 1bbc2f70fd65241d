#pragma once
// A diffusers `unet/config.json` (UNet2DConditionModel) and `controlnet/config.json` (ControlNetModel),
// the subset Stable Diffusion 1.x/2.x and their ControlNets use. Torch-free so loaders and key mappers
// can read a configuration without pulling in libtorch.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace wf::diffusion {

struct UNet2DConditionConfig {
  int64_t in_channels = 4, out_channels = 4;  // the inpainting UNet has 9 in-channels
  int64_t sample_size = 64;
  std::vector<std::string> down_block_types{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                            "DownBlock2D"};
  std::vector<std::string> up_block_types{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                          "CrossAttnUpBlock2D"};
  std::vector<int64_t> block_out_channels{320, 640, 1280, 1280};
  int64_t layers_per_block = 2;
  int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  int64_t cross_attention_dim = 768;
  // Heads per block. diffusers' `attention_head_dim` of SD 1.x configs really means the number of heads
  // (diffusers reads it so when `num_attention_heads` is absent); SD 2.x lists one value per block.
  std::vector<int64_t> num_attention_heads{8, 8, 8, 8};
  bool use_linear_projection = false;  // SD 2.x: proj_in/proj_out are Linear, SD 1.x: 1x1 Conv2d
  bool flip_sin_to_cos = true;
  double freq_shift = 0;
  bool upcast_attention = false;
  bool is_cross_attention(std::size_t down_block) const {
    return down_block_types.at(down_block) == "CrossAttnDownBlock2D";
  }

  // Unknown keys are ignored; block types, activations or options this port lacks throw
  // wf::Error(unsupported) naming `source`; malformed values throw corrupt_file.
  static UNet2DConditionConfig from_json(const nlohmann::json& value, const std::filesystem::path& source = {});
  nlohmann::json to_json() const;
  // SD's architecture at a fraction of its size (two blocks of 32 and 64 channels, 16x16 latents): what
  // `watserface bench unet_tiny` times and what the tests build their tiny model sets from.
  static UNet2DConditionConfig tiny(int64_t in_channels = 4, int64_t cross_attention_dim = 32);
};

struct ControlNetConfig {
  UNet2DConditionConfig unet;  // the encoder half it copies (up_block_types and out_channels unused)
  int64_t conditioning_channels = 3;
  std::vector<int64_t> conditioning_embedding_out_channels{16, 32, 96, 256};
  bool global_pool_conditions = false;

  static ControlNetConfig from_json(const nlohmann::json& value, const std::filesystem::path& source = {});
  // The ControlNet diffusers' `ControlNetModel.from_unet` builds for this UNet.
  static ControlNetConfig from_unet(const UNet2DConditionConfig& unet);
  nlohmann::json to_json() const;
};

}  // namespace wf::diffusion
