#include "options/xseg_options.h"

#include <string>

#include "core/error.h"
#include "options/common_options.h"

namespace wf::options {
using core::OptionKind;

const core::OptionSchema& xseg_option_schema() {
  static const core::OptionSchema schema{
      {.name = "enabled",
       .kind = OptionKind::flag,
       .default_value = true,
       .help = "train the occlusion mask and apply it to the target's faces",
       .label = "Train the XSeg mask",
       .direct = false},
      command_path_option("dataset", "a target dataset (watserface extract --target)"),
      command_path_option("output", "the XSeg model folder to write"),
      {.name = "epochs",
       .kind = OptionKind::integer,
       .default_value = kXSegEpochs,
       .help = "passes over the target's faces",
       .min = 1,
       .max = kXSegMaxEpochs,
       .label = "XSeg mask epochs"},
      {.name = "resolution",
       .kind = OptionKind::integer,
       .default_value = kXSegResolution,
       .help = "the network's input size, a multiple of 32",
       .min = kXSegMinResolution,
       .max = kXSegMaxResolution,
       .label = "XSeg mask resolution"},
      {.name = "batch",
       .kind = OptionKind::integer,
       .default_value = "auto",
       .help = "faces per step; auto: from the free memory (on CUDA, the largest that fits)",
       .min = 1,
       .max = 1024,
       .label = "XSeg mask batch",
       .automatic = true},
      accumulation_option(1, "XSeg gradient accumulation"),
      {.name = "lr",
       .kind = OptionKind::number,
       .default_value = 1e-3,
       .help = "AdamW's peak learning rate",
       .min = 1e-8,
       .max = 1,
       .label = "XSeg learning rate"},
      {.name = "weight_decay",
       .kind = OptionKind::number,
       .default_value = 1e-2,
       .help = "AdamW's weight decay",
       .min = 0,
       .max = 1,
       .advanced = true,
       .label = "XSeg weight decay"},
      {.name = "schedule",
       .kind = OptionKind::choice,
       .default_value = "cosine",
       .help = "the learning rate after the warm-up",
       .choices = {"cosine", "constant"},
       .advanced = true,
       .label = "XSeg learning-rate schedule"},
      {.name = "warmup",
       .kind = OptionKind::integer,
       .default_value = 50,
       .help = "steps the learning rate climbs to its peak",
       .min = 0,
       .max = 1e9,
       .advanced = true,
       .label = "XSeg warm-up steps",
       .pipeline_default = 0,
       .pipeline_reason = "the quick preset trains a few dozen steps, which a 50-step warm-up would spend below the "
                          "learning rate"},
      checkpoint_every_option(50, "XSeg checkpoint every (steps)"),
      seed_option("seed of initialisation, order and augmentation", "XSeg seed"),
  };
  return schema;
}

nlohmann::json resolve_xseg_options(const nlohmann::json& values, core::OptionUse use) {
  const std::string prefix = use == core::OptionUse::pipeline ? "xseg." : "";
  nlohmann::json resolved = core::resolve_options(xseg_option_schema(), values, use, prefix);
  if (resolved.at("resolution").get<int>() % 32 != 0) {
    throw Error(ErrorCode::invalid_input, "option " + prefix + "resolution must be a multiple of 32", {},
                "the network's input size: a multiple of 32 from " + std::to_string(kXSegMinResolution) + " to " +
                    std::to_string(kXSegMaxResolution));
  }
  return resolved;
}

}  // namespace wf::options
