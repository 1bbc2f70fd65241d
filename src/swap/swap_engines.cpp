#include "swap/swap_engines.h"

#include <algorithm>

#include "core/error.h"
#include "options/swap_options.h"
#include "swap/generative_engine.h"
#include "swap/onnx_engine.h"
#include "swap/swap_options.h"
#include "swap/warp_engine.h"

namespace wf::swap {

const std::vector<EngineSpec>& swap_engines() {
  static const std::vector<EngineSpec> engines{
      {.kind = EngineKind::offline,
       .name = "offline",
       .label = "Offline — landmark warp, needs no downloads",
       .summary = "the closest source face warped onto the target's landmarks, recoloured and blended in",
       .model_roles = {"landmarks_68"},
       .needs_identity_adapter = false,
       .options = options::warp_option_schema,
       .configure = [](SwapOptions&, const EngineInputs&) {},
       .make = [](const SourceFaces& source, const SwapOptions& o) -> std::unique_ptr<SwapEngine> {
         return std::make_unique<WarpEngine>(source, o.warp);
       },
       .repairs = warp_repairs},
      {.kind = EngineKind::generative,
       .name = "generative",
       .label = "Generative — Stable Diffusion 1.5 with InstantID",
       .summary = "the face inpainted by SD 1.5, conditioned on the source's identity and the target's keypoints",
       .model_roles = {"base_diffusion"},
       .needs_identity_adapter = true,
       .options = options::generative_option_schema,
       .configure = configure_generative,
       .make = [](const SourceFaces& source, const SwapOptions& o) -> std::unique_ptr<SwapEngine> {
         return std::make_unique<GenerativeEngine>(source, o.generative);
       },
       .repairs = generative_repairs},
      {.kind = EngineKind::onnx,
       .name = "onnx",
       .label = "Classic swapper — inswapper 128 (ONNX)",
       .summary = "InsightFace's inswapper_128, or a model with its interface, run by OpenCV",
       .model_roles = {"face_swapper"},
       .needs_identity_adapter = false,
       .options = options::onnx_option_schema,
       .configure = configure_onnx,
       .make = [](const SourceFaces& source, const SwapOptions& o) -> std::unique_ptr<SwapEngine> {
         return std::make_unique<OnnxSwapEngine>(source, o.onnx_model);
       },
       .repairs = onnx_repairs},
  };
  return engines;
}

const EngineSpec& engine_spec(EngineKind kind) {
  const auto& engines = swap_engines();
  const auto it = std::find_if(engines.begin(), engines.end(), [&](const EngineSpec& e) { return e.kind == kind; });
  if (it == engines.end()) throw Error(ErrorCode::internal, "a swap engine has no row in swap_engines.cpp");
  return *it;
}

std::string_view to_string(EngineKind kind) {
  return engine_spec(kind).name;
}

EngineKind parse_engine(std::string_view name) {
  std::string names;
  for (const EngineSpec& engine : swap_engines()) {
    if (engine.name == name) return engine.kind;
    names += (names.empty() ? "" : ", ") + std::string(engine.name);
  }
  throw Error(ErrorCode::invalid_input, "unknown swap engine '" + std::string(name) + "'", {}, "use " + names);
}

}  // namespace wf::swap
