#include "swap/swap_options.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace wf::swap {
namespace fs = std::filesystem;
namespace {

std::string absolute_or_empty(const fs::path& path) {
  return path.empty() ? "" : fs::absolute(path).string();
}

}  // namespace

nlohmann::json swap_options_to_json(const SwapOptions& o) {
  const GenerativeOptions& g = o.generative;
  return {
      {"source", absolute_or_empty(o.source)},
      {"target", absolute_or_empty(o.target)},
      {"engine", to_string(o.engine)},
      {"warp", {{"landmarks", o.warp.landmarks}, {"colour", to_string(o.warp.colour)}, {"seamless", o.warp.seamless}}},
      {"generative",
       {{"base_model", absolute_or_empty(g.base_model)},
        {"tokenizer", absolute_or_empty(g.tokenizer)},
        {"identity", absolute_or_empty(g.identity)},
        {"lora", absolute_or_empty(g.lora)},
        {"lora_scale", g.lora_scale},
        {"prompt", g.prompt},
        {"negative_prompt", g.negative_prompt},
        {"resolution", g.resolution},
        {"steps", g.steps},
        {"strength", g.strength},
        {"guidance", g.guidance},
        {"identity_scale", g.identity_scale},
        {"control_scale", g.control_scale},
        {"seed", g.seed},
        {"sampler", g.sampler},
        {"device", g.device}}},
      {"onnx_model", absolute_or_empty(o.onnx_model)},
      {"feather", o.feather},
      {"mask_grow", o.mask_grow},
      {"smooth_landmarks", o.smooth_landmarks}};
}

SwapOptions swap_options_from_json(const nlohmann::json& values, const fs::path& file) {
  try {
    SwapOptions o;
    o.source = values.at("source").get<std::string>();
    o.target = values.at("target").get<std::string>();
    o.engine = parse_engine(values.at("engine").get<std::string>());
    const auto& warp = values.at("warp");
    o.warp = {.landmarks = warp.at("landmarks").get<int>(),
              .colour = parse_colour_mode(warp.at("colour").get<std::string>()),
              .seamless = warp.at("seamless").get<bool>()};
    const auto& g = values.at("generative");
    o.generative = {.base_model = g.at("base_model").get<std::string>(),
                    .tokenizer = g.at("tokenizer").get<std::string>(),
                    .identity = g.at("identity").get<std::string>(),
                    .lora = g.at("lora").get<std::string>(),
                    .lora_scale = g.at("lora_scale").get<double>(),
                    .prompt = g.at("prompt").get<std::string>(),
                    .negative_prompt = g.at("negative_prompt").get<std::string>(),
                    .resolution = g.at("resolution").get<int>(),
                    .steps = g.at("steps").get<std::int64_t>(),
                    .strength = g.at("strength").get<double>(),
                    .guidance = g.at("guidance").get<double>(),
                    .identity_scale = g.at("identity_scale").get<double>(),
                    .control_scale = g.at("control_scale").get<double>(),
                    .seed = g.at("seed").get<std::uint64_t>(),
                    .sampler = g.at("sampler").get<std::string>(),
                    .device = g.at("device").get<std::string>()};
    o.onnx_model = values.at("onnx_model").get<std::string>();
    o.feather = values.at("feather").get<int>();
    o.mask_grow = values.at("mask_grow").get<double>();
    o.smooth_landmarks = values.at("smooth_landmarks").get<bool>();
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("the swap settings in this report are malformed: ") + e.what(),
                file, "swap the video again");
  }
}

}  // namespace wf::swap
