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
      {.name = "person",
       .kind = core::OptionKind::integer,
       .default_value = "auto",
       .help = "whom to replace in the target video: their number among the people found there (people.json; 1 is "
               "on screen most, by time and face size); auto: the reference photo's person when one is given, else 1",
       .min = 1,
       .max = 10000,
       .label = "Person to replace",
       .automatic = true},
  };
  return schema;
}

}  // namespace wf::options
