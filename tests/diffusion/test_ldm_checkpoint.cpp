// Single-file SD 1.x checkpoints -> diffusers state dicts: the whole SD 1.5 LDM key list maps one-to-one onto
// the diffusers UNet / VAE / text-encoder key lists with equal shapes (sd15_keys/, recipe in its README), those
// lists are what our modules hold, and a small synthetic checkpoint converts with its values and dtypes intact.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/state_dict.h"
#include "diffusion/autoencoder_kl.h"
#include "diffusion/clip_text_model.h"
#include "diffusion/ldm_checkpoint.h"
#include "diffusion/unet_2d_condition.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::diffusion {
namespace {

using Shape = std::vector<int64_t>;
using KeyList = std::vector<std::pair<std::string, Shape>>;  // in file order

KeyList read_keys(const std::string& file) {
  std::ifstream in(std::filesystem::path(WF_SD15_KEYS_DIR) / file);
  EXPECT_TRUE(in) << file;
  KeyList keys;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, dims;
    fields >> name >> dims;
    Shape shape;
    std::istringstream dim_stream(dims);
    for (std::string d; std::getline(dim_stream, d, ',');) shape.push_back(std::stoll(d));
    keys.emplace_back(name, shape);
  }
  return keys;
}

std::map<std::string, Shape> as_map(const KeyList& keys) {
  return {keys.begin(), keys.end()};
}

std::map<std::string, Shape> shapes_of(const core::StateDict& state) {
  std::map<std::string, Shape> out;
  for (const auto& [name, tensor] : state) out[name] = tensor.sizes().vec();
  return out;
}

std::vector<std::string> names_of(const KeyList& keys) {
  std::vector<std::string> out;
  for (const auto& entry : keys) out.push_back(entry.first);
  return out;
}

// Where a key of the LDM list lands: component and diffusers name (or nothing for position_ids).
struct Mapped {
  std::string component;
  std::optional<std::string> name;
};

Mapped map_key(const std::string& key, const UNet2DConditionConfig& config) {
  if (key.starts_with("model.diffusion_model.")) return {"unet", ldm_unet_key_to_diffusers(key, config)};
  if (key.starts_with("first_stage_model.")) return {"vae", ldm_vae_key_to_diffusers(key, 4)};
  return {"text_encoder", ldm_text_encoder_key_to_diffusers(key)};
}

// Every key of `ldm` maps into `expected[component]` with the same shape ([C, C, 1, 1] VAE attention weights
// becoming [C, C]), no two onto one key, and every expected key is reached.
void expect_one_to_one(const KeyList& ldm, const std::map<std::string, std::map<std::string, Shape>>& expected,
                       const UNet2DConditionConfig& config) {
  std::map<std::string, std::set<std::string>> reached;
  std::size_t dropped = 0;
  for (const auto& [key, shape] : ldm) {
    const Mapped mapped = map_key(key, config);
    if (!mapped.name) {
      ++dropped;
      EXPECT_EQ(key, "cond_stage_model.transformer.text_model.embeddings.position_ids");
      continue;
    }
    const auto& target = expected.at(mapped.component);
    const auto it = target.find(*mapped.name);
    ASSERT_NE(it, target.end()) << key << " -> " << *mapped.name << " is not a " << mapped.component << " key";
    Shape want = shape;
    if (mapped.component == "vae" && shape.size() == 4 && it->second.size() == 2) want = {shape[0], shape[1]};
    EXPECT_EQ(it->second, want) << key << " -> " << *mapped.name;
    EXPECT_TRUE(reached[mapped.component].insert(*mapped.name).second) << "two keys map onto " << *mapped.name;
  }
  for (const auto& [component, keys] : expected) {
    EXPECT_EQ(reached[component].size(), keys.size()) << component << ": keys not reached";
  }
  EXPECT_LE(dropped, 1u);
}

TEST(LdmCheckpoint, Sd15KeysMapOneToOneOntoTheDiffusersKeys) {
  const KeyList ldm = read_keys("ldm_sd15.txt");
  ASSERT_EQ(ldm.size(), 1131u);  // 686 UNet + 248 VAE + 196 CLIP + position_ids
  const std::map<std::string, std::map<std::string, Shape>> expected{
      {"unet", as_map(read_keys("diffusers_unet_sd15.txt"))},
      {"vae", as_map(read_keys("diffusers_vae_sd15.txt"))},
      {"text_encoder", as_map(read_keys("diffusers_text_encoder_sd15.txt"))}};
  EXPECT_EQ(expected.at("unet").size(), 686u);  // UNet2DConditionModel's SD 1.5 key count
  expect_one_to_one(ldm, expected, UNet2DConditionConfig{});
}

TEST(LdmCheckpoint, TinyUNetKeysMapOneToOneOntoTheModulesKeys) {
  const UNet2DConditionConfig config =
      diffusion::UNet2DConditionConfig::tiny();  // 2 levels, 1 layer each, attention on the first only
  const auto diffusers = as_map(read_keys("diffusers_unet_tiny.txt"));
  EXPECT_EQ(shapes_of(core::module_state(*UNet2DConditionModel(config))), diffusers);
  expect_one_to_one(read_keys("ldm_unet_tiny.txt"), {{"unet", diffusers}}, config);
}

TEST(LdmCheckpoint, Sd15VaeAndTextEncoderListsAreOurModulesKeys) {
  torch::NoGradGuard no_grad;
  EXPECT_EQ(shapes_of(core::module_state(*AutoencoderKL())), as_map(read_keys("diffusers_vae_sd15.txt")));
  EXPECT_EQ(shapes_of(core::module_state(*CLIPTextModel())), as_map(read_keys("diffusers_text_encoder_sd15.txt")));
}

TEST(LdmCheckpoint, NamesTheBlocksAsDiffusersDoes) {
  const UNet2DConditionConfig sd15;
  const std::vector<std::pair<std::string, std::string>> unet{
      {"time_embed.0.weight", "time_embedding.linear_1.weight"},
      {"input_blocks.0.0.bias", "conv_in.bias"},
      {"input_blocks.3.0.op.weight", "down_blocks.0.downsamplers.0.conv.weight"},
      {"input_blocks.4.0.skip_connection.weight", "down_blocks.1.resnets.0.conv_shortcut.weight"},
      {"input_blocks.5.1.transformer_blocks.0.attn2.to_k.weight",
       "down_blocks.1.attentions.1.transformer_blocks.0.attn2.to_k.weight"},
      {"input_blocks.11.0.emb_layers.1.bias", "down_blocks.3.resnets.1.time_emb_proj.bias"},
      {"middle_block.1.proj_in.weight", "mid_block.attentions.0.proj_in.weight"},
      {"middle_block.2.out_layers.3.bias", "mid_block.resnets.1.conv2.bias"},
      {"output_blocks.2.1.conv.weight", "up_blocks.0.upsamplers.0.conv.weight"},
      {"output_blocks.5.2.conv.bias", "up_blocks.1.upsamplers.0.conv.bias"},
      {"output_blocks.8.1.transformer_blocks.0.ff.net.0.proj.weight",
       "up_blocks.2.attentions.2.transformer_blocks.0.ff.net.0.proj.weight"},
      {"output_blocks.11.0.in_layers.0.weight", "up_blocks.3.resnets.2.norm1.weight"},
      {"out.0.weight", "conv_norm_out.weight"},
      {"out.2.bias", "conv_out.bias"}};
  for (const auto& [ldm, diffusers] : unet) {
    EXPECT_EQ(ldm_unet_key_to_diffusers("model.diffusion_model." + ldm, sd15), diffusers);
  }
  const std::vector<std::pair<std::string, std::string>> vae{
      {"encoder.down.2.downsample.conv.weight", "encoder.down_blocks.2.downsamplers.0.conv.weight"},
      {"encoder.mid.attn_1.proj_out.bias", "encoder.mid_block.attentions.0.to_out.0.bias"},
      {"encoder.norm_out.weight", "encoder.conv_norm_out.weight"},
      {"decoder.mid.attn_1.norm.bias", "decoder.mid_block.attentions.0.group_norm.bias"},
      {"decoder.mid.block_2.conv1.weight", "decoder.mid_block.resnets.1.conv1.weight"},
      {"decoder.up.3.upsample.conv.weight", "decoder.up_blocks.0.upsamplers.0.conv.weight"},
      {"decoder.up.0.block.0.nin_shortcut.weight", "decoder.up_blocks.3.resnets.0.conv_shortcut.weight"},
      {"post_quant_conv.bias", "post_quant_conv.bias"}};
  for (const auto& [ldm, diffusers] : vae)
    EXPECT_EQ(ldm_vae_key_to_diffusers("first_stage_model." + ldm, 4), diffusers);
}

TEST(LdmCheckpoint, KeysOutsideTheLayoutAreErrorsNamingKeyAndFile) {
  const UNet2DConditionConfig sd15;
  const std::filesystem::path file = "/models/custom.safetensors";
  for (const char* key : {"model.diffusion_model.label_emb.0.0.weight",                  // SDXL / class-conditioned
                          "model.diffusion_model.input_blocks.10.1.norm.weight",         // DownBlock2D: no attention
                          "model.diffusion_model.input_blocks.13.0.in_layers.0.weight",  // past the last level
                          "model.diffusion_model.input_blocks.9.0.in_layers.0.weight",   // 9.0 is a Downsample
                          "model.diffusion_model.output_blocks.11.2.conv.weight",  // the last level has no Upsample
                          "model.diffusion_model.output_blocks.1.1.conv.weight",   // Upsample only ends a level
                          "model.diffusion_model.middle_block.1.transformer_blocks.0.attn1.to_qkv.weight"}) {
    try {
      ldm_unet_key_to_diffusers(key, sd15, file);
      ADD_FAILURE() << key << " was mapped";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::unsupported);
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_EQ(e.path(), file);
    }
  }
  EXPECT_THROW(ldm_vae_key_to_diffusers("first_stage_model.encoder.down.0.attn.0.q.weight", 4), Error);
  EXPECT_THROW(ldm_vae_key_to_diffusers("first_stage_model.decoder.up.4.block.0.conv1.weight", 4), Error);
  EXPECT_THROW(ldm_vae_key_to_diffusers("first_stage_model.decoder.up.3.downsample.conv.weight", 4), Error);
  EXPECT_THROW(ldm_text_encoder_key_to_diffusers("cond_stage_model.transformer.text_model.pooler.weight"), Error);

  core::StateDict checkpoint{{"model.diffusion_model.out.2.bias", torch::zeros({4})},
                             {"model.diffusion_model.label_emb.0.0.weight", torch::zeros({2, 2})}};
  try {
    convert_ldm_checkpoint(checkpoint, sd15, file);
    ADD_FAILURE() << "label_emb was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label_emb.0.0.weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("custom.safetensors"), std::string::npos) << e.what();
  }
  // SD 2.x: OpenCLIP under cond_stage_model.model.
  checkpoint = {{"model.diffusion_model.out.2.bias", torch::zeros({4})},
                {"cond_stage_model.model.token_embedding.weight", torch::zeros({2, 2})}};
  try {
    convert_ldm_checkpoint(checkpoint, sd15, file);
    ADD_FAILURE() << "an OpenCLIP text encoder was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(e.message().find("cond_stage_model.model.token_embedding.weight"), std::string::npos) << e.message();
  }
  // No UNet at all: a VAE file, say.
  checkpoint = {{"first_stage_model.post_quant_conv.bias", torch::zeros({4})}};
  try {
    convert_ldm_checkpoint(checkpoint, sd15, file);
    ADD_FAILURE() << "a file without a UNet was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
  }
}

TEST(LdmCheckpoint, TextEncoderKeysWithAndWithoutTheTextModelLevel) {
  const std::string tail = "encoder.layers.11.mlp.fc2.weight";
  EXPECT_EQ(ldm_text_encoder_key_to_diffusers("cond_stage_model.transformer.text_model." + tail), "text_model." + tail);
  EXPECT_EQ(ldm_text_encoder_key_to_diffusers("cond_stage_model.transformer." + tail), "text_model." + tail);
  EXPECT_EQ(ldm_text_encoder_key_to_diffusers("cond_stage_model.transformer.embeddings.position_ids"), std::nullopt);
  EXPECT_EQ(ldm_text_encoder_key_to_diffusers("cond_stage_model.transformer.text_model.embeddings.position_ids"),
            std::nullopt);
  // Both spellings of one tensor in one file are ambiguous.
  const core::StateDict both{{"model.diffusion_model.out.2.bias", torch::zeros({4})},
                             {"cond_stage_model.transformer.text_model." + tail, torch::zeros({2, 2})},
                             {"cond_stage_model.transformer." + tail, torch::ones({2, 2})}};
  try {
    convert_ldm_checkpoint(both, UNet2DConditionConfig{}, "both.safetensors");
    ADD_FAILURE() << "two tensors for one key were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_NE(e.message().find("text_model." + tail), std::string::npos) << e.message();
  }
}

TEST(LdmCheckpoint, TellsASingleFileCheckpointFromComponentFiles) {
  EXPECT_TRUE(looks_like_ldm_checkpoint(names_of(read_keys("ldm_sd15.txt"))));
  for (const char* file : {"diffusers_unet_sd15.txt", "diffusers_vae_sd15.txt", "diffusers_text_encoder_sd15.txt"}) {
    EXPECT_FALSE(looks_like_ldm_checkpoint(names_of(read_keys(file)))) << file;
  }
  EXPECT_FALSE(looks_like_ldm_checkpoint({}));
}

// The SD 1.5 key list with every dimension cut to at most 2 (ranks kept), each tensor numbered, fp16 and bf16
// alternating; written to safetensors and read back as a loader would, plus the entries conversion ignores.
TEST(LdmCheckpoint, SyntheticCheckpointConvertsWithValuesAndDtypesKept) {
  const KeyList ldm = read_keys("ldm_sd15.txt");
  core::StateDict checkpoint;
  int64_t n = 0;
  for (const auto& [key, shape] : ldm) {
    Shape small;
    for (int64_t d : shape) small.push_back(std::min<int64_t>(d, 2));
    const auto dtype = n % 2 == 0 ? torch::kFloat16 : torch::kBFloat16;
    int64_t numel = 1;
    for (int64_t d : small) numel *= d;
    checkpoint[key] = (torch::arange(numel, torch::kFloat32) + 8 * n++).reshape(small).to(dtype);
  }
  core::StateDict file_tensors = checkpoint;
  file_tensors["alphas_cumprod"] = torch::rand({1000});
  file_tensors["betas"] = torch::rand({1000});
  file_tensors["model_ema.decay"] = torch::tensor(0.9999);
  file_tensors["model_ema.num_updates"] = torch::tensor(7, torch::kInt32);
  file_tensors["model_ema.diffusion_modelout2bias"] = torch::zeros({2});  // the EMA copy's flattened names
  const test::TempDir dir;
  core::save_safetensors(dir / "sd15.safetensors", file_tensors);
  const core::StateDict loaded = core::load_safetensors(dir / "sd15.safetensors");

  const LdmComponents out = convert_ldm_checkpoint(loaded, UNet2DConditionConfig{}, dir / "sd15.safetensors");
  EXPECT_EQ(out.unet.size(), 686u);
  EXPECT_EQ(out.vae.size(), 248u);
  EXPECT_EQ(out.text_encoder.size(), 196u);
  const UNet2DConditionConfig sd15;
  for (const auto& [key, original] : checkpoint) {
    const Mapped mapped = map_key(key, sd15);
    if (!mapped.name) continue;
    const core::StateDict& component = mapped.component == "unet"  ? out.unet
                                       : mapped.component == "vae" ? out.vae
                                                                   : out.text_encoder;
    ASSERT_TRUE(component.count(*mapped.name)) << key;
    const at::Tensor& converted = component.at(*mapped.name);
    EXPECT_EQ(converted.scalar_type(), original.scalar_type()) << key;
    if (key.find(".mid.attn_1.") != std::string::npos && original.dim() == 4) {
      EXPECT_EQ(converted.sizes(), (std::vector<int64_t>{original.size(0), original.size(1)})) << key;
    } else {
      EXPECT_EQ(converted.sizes(), original.sizes()) << key;
    }
    EXPECT_TRUE(torch::equal(converted.reshape(original.sizes()), original)) << key;
  }
  // Tensors are shared with the checkpoint, not copied.
  EXPECT_EQ(out.unet.at("conv_out.bias").data_ptr(), loaded.at("model.diffusion_model.out.2.bias").data_ptr());
}

}  // namespace
}  // namespace wf::diffusion
