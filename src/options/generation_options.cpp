#include "options/generation_options.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "options/common_options.h"

namespace wf::options {
using core::OptionKind;

const core::OptionSchema& sampling_option_schema() {
  static const core::OptionSchema schema{
      {.name = "negative_prompt",
       .kind = OptionKind::text,
       .default_value = "",
       .help = "what to steer away from",
       .advanced = true,
       .label = "Negative prompt"},
      {.name = "steps",
       .kind = OptionKind::integer,
       .default_value = 30,
       .help = "sampling steps",
       .min = 1,
       .max = 1000,
       .label = "Sampling steps"},
      {.name = "strength",
       .kind = OptionKind::number,
       .default_value = 1.0,
       .help = "how far into the noise an image given to start from is taken (1: a new image)",
       .min = 0.01,
       .max = 1,
       .advanced = true,
       .label = "Denoising strength"},
      {.name = "guidance",
       .kind = OptionKind::number,
       .default_value = 7.5,
       .help = "classifier-free guidance scale (1 turns it off)",
       .min = 0,
       .max = 50,
       .label = "Guidance scale"},
      seed_option("the seed the noise starts from (the same seed gives the same image)", "Sampling seed", true),
      {.name = "sampler",
       .kind = OptionKind::choice,
       .default_value = "dpmpp_2m",
       .help = "the sampler",
       .choices = {"ddim", "euler", "euler_a", "dpmpp_2m"},
       .advanced = true,
       .label = "Sampler"},
      {.name = "lora_scale",
       .kind = OptionKind::number,
       .default_value = 1.0,
       .help = "the LoRA's strength (0 turns it off)",
       .min = 0,
       .max = 4,
       .advanced = true,
       .label = "LoRA strength"},
  };
  return schema;
}

core::OptionSpec sampling_option(std::string_view name) {
  const core::OptionSchema& schema = sampling_option_schema();
  const auto it = std::find_if(schema.begin(), schema.end(), [&](const core::OptionSpec& s) { return s.name == name; });
  WF_CHECK(it != schema.end(), "no sampling option of that name");
  return *it;
}

const core::OptionSchema& generate_option_schema() {
  static const core::OptionSchema schema = [] {
    core::OptionSchema s{{.name = "prompt", .kind = OptionKind::text, .help = "what to draw", .required = true}};
    const core::OptionSchema& sampling = sampling_option_schema();
    s.insert(s.end(), sampling.begin(), sampling.end());
    for (const char* side : {"width", "height"}) {
      s.push_back({.name = side,
                   .kind = OptionKind::integer,
                   .default_value = 512,
                   .help = std::string("txt2img ") + side + ", a multiple of 8",
                   .min = 8,
                   .max = 4096});
    }
    s.push_back({.name = "controlnet_scale",
                 .kind = OptionKind::number,
                 .default_value = 1.0,
                 .help = "ControlNet conditioning scale",
                 .min = 0,
                 .max = 4});
    s.push_back({.name = "guess_mode",
                 .kind = OptionKind::flag,
                 .default_value = false,
                 .help = "ControlNet guess mode (works without a prompt)"});
    s.push_back({.name = "clip_skip",
                 .kind = OptionKind::integer,
                 .default_value = 0,
                 .help = "use the text encoder's output this many layers early",
                 .min = 0,
                 .max = 11});
    s.push_back({.name = "tiled_vae",
                 .kind = OptionKind::flag,
                 .default_value = false,
                 .help = "decode in tiles (automatic above 1024x1024)"});
    return s;
  }();
  return schema;
}

}  // namespace wf::options
