#include "options/swap_options.h"

#include <string>

#include "options/generation_options.h"

namespace wf::options {
using core::OptionKind;
namespace {

// A sampling option under the generative engine's name, with the default a face crop wants.
core::OptionSpec for_face_crops(std::string_view name, nlohmann::json default_value = nullptr) {
  core::OptionSpec spec = sampling_option(name);
  spec.help = "generative: " + spec.help;
  spec.label = "Generative: " + spec.label;
  if (!default_value.is_null()) spec.default_value = std::move(default_value);
  return spec;
}

}  // namespace

const core::OptionSchema& swap_common_option_schema() {
  static const core::OptionSchema schema{
      {.name = "engine",
       .kind = OptionKind::text,
       .default_value = "offline",
       .help = "the swap engine (GET /api/v1/engines, watserface doctor)",
       .label = "Swap engine"},
      {.name = "feather",
       .kind = OptionKind::integer,
       .default_value = -1,
       .help = "paste-back feathering in crop pixels (-1: the crop's side / 32)",
       .min = -1,
       .max = 256,
       .advanced = true,
       .label = "Paste-back feathering"},
      {.name = "mask_grow",
       .kind = OptionKind::number,
       .default_value = 0.0,
       .help = "grow the face mask by this share of the crop's side before pasting (negative: shrink)",
       .min = -0.25,
       .max = 0.25,
       .advanced = true,
       .label = "Mask grow"},
      {.name = "smoothing",
       .kind = OptionKind::flag,
       .default_value = true,
       .help = "One Euro smoothing of the tracked landmarks (steadier faces, less flicker)",
       .advanced = true,
       .label = "Smooth the face track"},
  };
  return schema;
}

const core::OptionSchema& warp_option_schema() {
  static const core::OptionSchema schema{
      {.name = "landmarks",
       .kind = OptionKind::integer,
       .default_value = 478,
       .help = "the offline engine's warp: 478 (the mesh, when both faces have it) or 68 points",
       .min = 68,
       .max = 478,
       .label = "Warp landmarks (68 or 478)"},
      {.name = "colour",
       .kind = OptionKind::choice,
       .default_value = "lab",
       .help = "colour matching: mean and spread in Lab, the histogram, or none",
       .choices = {"lab", "histogram", "none"},
       .label = "Colour matching"},
      {.name = "seamless",
       .kind = OptionKind::flag,
       .default_value = true,
       .help = "the offline engine's Poisson blending of the recoloured warp",
       .advanced = true,
       .label = "Poisson blending"},
      {.name = "keep_expression",
       .kind = OptionKind::flag,
       .default_value = true,
       .help = "the offline engine keeps the target's mouth interior, and its eyes where their opening differs from "
               "the source's (talking, laughing, blinking)",
       .label = "Keep the target's expression"},
  };
  return schema;
}

const core::OptionSchema& generative_option_schema() {
  static const core::OptionSchema schema{
      {.name = "prompt",
       .kind = OptionKind::text,
       .default_value = "",
       .help = "generative: the prompt (empty: the LoRA's caption template, else the identity adapter's)",
       .advanced = true,
       .label = "Generative: prompt"},
      for_face_crops("negative_prompt"),
      // Guided crops converge in fewer steps and burn above 5 (InstantID's demo runs 30 steps at 5).
      for_face_crops("steps", 20),
      for_face_crops("strength"),
      for_face_crops("guidance", 5.0),
      for_face_crops("seed"),
      for_face_crops("sampler"),
      for_face_crops("lora_scale"),
      {.name = "resolution",
       .kind = OptionKind::integer,
       .default_value = 0,
       .help = "generative: the crop's size when generated (0: the identity adapter's training size)",
       .min = 0,
       .max = 1024,
       .advanced = true,
       .label = "Generative: resolution"},
      {.name = "identity_scale",
       .kind = OptionKind::number,
       .default_value = 0.8,
       .help = "generative: the IP-Adapter's weight",
       .min = 0,
       .max = 2,
       .label = "Generative: identity strength"},
      {.name = "control_scale",
       .kind = OptionKind::number,
       .default_value = 0.8,
       .help = "generative: the IdentityNet's weight",
       .min = 0,
       .max = 2,
       .advanced = true,
       .label = "Generative: keypoint control strength"},
  };
  return schema;
}

const core::OptionSchema& onnx_option_schema() {
  static const core::OptionSchema schema{
      {.name = "onnx_model",
       .kind = OptionKind::path,
       .help = "onnx: the swapper (default: the one in models/face_swapper/, see watserface doctor)",
       .pipeline = false},
  };
  return schema;
}

const core::OptionSchema& swap_option_schema() {
  static const core::OptionSchema schema = [] {
    core::OptionSchema all;
    for (const core::OptionSchema* part :
         {&swap_common_option_schema(), &warp_option_schema(), &generative_option_schema(), &onnx_option_schema()}) {
      all.insert(all.end(), part->begin(), part->end());
    }
    return all;
  }();
  return schema;
}

}  // namespace wf::options
