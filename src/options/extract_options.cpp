#include "options/extract_options.h"

namespace wf::options {

const core::OptionSchema& extract_option_schema() {
  static const core::OptionSchema schema{
      {.name = "crop",
       .kind = core::OptionKind::integer,
       .default_value = kCropSize,
       .help = "side of the aligned face crops, in pixels",
       .min = 64,
       .max = 2048,
       .label = "Face crop size"},
  };
  return schema;
}

}  // namespace wf::options
