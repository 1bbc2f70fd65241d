#include "swap/swap_options.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "options/swap_options.h"

namespace wf::swap {

// Found by nlohmann's ADL lookup for the enums' fields below.
static void to_json(nlohmann::json& out, EngineKind kind) {
  out = to_string(kind);
}
static void from_json(const nlohmann::json& in, EngineKind& kind) {
  kind = parse_engine(in.get<std::string>());
}
static void to_json(nlohmann::json& out, ColourMode mode) {
  out = to_string(mode);
}
static void from_json(const nlohmann::json& in, ColourMode& mode) {
  mode = parse_colour_mode(in.get<std::string>());
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WarpOptions, landmarks, colour, seamless, keep_expression)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GenerativeOptions, base_model, tokenizer, identity, lora, lora_scale,
                                                prompt, negative_prompt, resolution, steps, strength, guidance,
                                                identity_scale, control_scale, seed, sampler, device)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SwapOptions, source, target, output, engine, warp, generative,
                                                onnx_model, feather, mask_grow, smoothing, provenance, lossless)

namespace {

// The options of `schema` among `resolved`.
nlohmann::json picked(const nlohmann::json& resolved, const core::OptionSchema& schema) {
  nlohmann::json out = nlohmann::json::object();
  for (const core::OptionSpec& spec : schema) {
    if (const auto it = resolved.find(spec.name); it != resolved.end()) out[spec.name] = *it;
  }
  return out;
}

}  // namespace

SwapOptions swap_options_of(const nlohmann::json& resolved) {
  // Completed again so that a job settled by an older version, before an option existed, gets today's default.
  nlohmann::json values = core::option_defaults(options::swap_option_schema(), core::OptionUse::direct);
  values.update(resolved);
  nlohmann::json nested = picked(values, options::swap_common_option_schema());
  nested.update(picked(values, options::onnx_option_schema()));
  nested["warp"] = picked(values, options::warp_option_schema());
  nested["generative"] = picked(values, options::generative_option_schema());
  return nested.get<SwapOptions>();
}

SwapOptions default_swap_options() {
  return swap_options_of(nlohmann::json::object());
}

nlohmann::json swap_options_to_json(const SwapOptions& options) {
  SwapOptions o = options;
  GenerativeOptions& g = o.generative;
  for (std::filesystem::path* path :
       {&o.source, &o.target, &o.output, &o.onnx_model, &g.base_model, &g.tokenizer, &g.identity, &g.lora}) {
    if (!path->empty()) *path = std::filesystem::absolute(*path);
  }
  return o;
}

SwapOptions swap_options_from_json(const nlohmann::json& values, const std::filesystem::path& file) {
  try {
    return values.get<SwapOptions>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("the swap settings in this report are malformed: ") + e.what(),
                file, "swap the video again");
  }
}

}  // namespace wf::swap
