#include "options/swap_options.h"

namespace wf::options {
using core::OptionKind;

const core::OptionSchema& swap_option_schema() {
  static const core::OptionSchema schema{
      {.name = "engine",
       .kind = OptionKind::text,
       .default_value = "offline",
       .help = "the swap engine (GET /api/v1/engines, watserface doctor)",
       .label = "Swap engine"},
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
  };
  return schema;
}

}  // namespace wf::options
