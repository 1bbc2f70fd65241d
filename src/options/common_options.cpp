#include "options/common_options.h"

#include <utility>

#include "core/error.h"

namespace wf::options {
using core::OptionKind;

core::OptionSpec base_model_option() {
  return {.name = "model",
          .kind = OptionKind::path,
          .help = "Stable Diffusion 1.5 (default: the one in the models folder)",
          .pipeline = false};
}

core::OptionSpec tokenizer_option() {
  return {.name = "tokenizer",
          .kind = OptionKind::path,
          .help = "a diffusers tokenizer/ folder (single-file models)",
          .advanced = true,
          .pipeline = false};
}

core::OptionSpec command_path_option(std::string name, std::string help) {
  return {
      .name = std::move(name), .kind = OptionKind::path, .help = std::move(help), .required = true, .pipeline = false};
}

core::OptionSpec accumulation_option(int default_value, std::string label) {
  return {.name = "accumulation",
          .kind = OptionKind::integer,
          .default_value = default_value,
          .help = "micro-batches per optimizer step",
          .min = 1,
          .max = 1024,
          .advanced = true,
          .label = std::move(label)};
}

core::OptionSpec snr_gamma_option(std::string label) {
  return {.name = "snr_gamma",
          .kind = OptionKind::number,
          .default_value = 5.0,
          .help = "min-SNR loss weighting (0 turns it off)",
          .min = 0,
          .max = 100,
          .advanced = true,
          .label = std::move(label)};
}

core::OptionSpec keep_activations_option(std::string label) {
  return {.name = "keep_activations",
          .kind = OptionKind::flag,
          .default_value = false,
          .help = "no gradient checkpointing: faster, needs much more memory",
          .advanced = true,
          .label = std::move(label)};
}

core::OptionSpec checkpoint_every_option(int default_value, std::string label, bool advanced) {
  return {.name = "checkpoint_every",
          .kind = OptionKind::integer,
          .default_value = default_value,
          .help = "steps between checkpoints (and one at the end; 0: only then)",
          .min = 0,
          .max = 1e9,
          .advanced = advanced,
          .label = std::move(label)};
}

core::OptionSpec seed_option(std::string help, std::string label, bool advanced) {
  return {.name = "seed",
          .kind = OptionKind::integer,
          .default_value = 0,
          .help = std::move(help),
          .min = 0,
          .max = 9007199254740992.0,  // 2^53: every integer up to it is exact in JSON
          .advanced = advanced,
          .label = std::move(label)};
}

core::OptionSpec diffusion_resolution_option(std::string label) {
  return {.name = "resolution",
          .kind = OptionKind::integer,
          .default_value = 512,
          .help = "training size, a multiple of 8: 512, or 384/256 for small GPUs",
          .min = 64,
          .max = 1024,
          .label = std::move(label)};
}

void check_diffusion_resolution(const nlohmann::json& resolved, const std::string& prefix) {
  if (resolved.at("resolution").get<int>() % 8 != 0) {
    throw Error(ErrorCode::invalid_input, "option " + prefix + "resolution must be a multiple of 8", {},
                "use 512, 384 or 256");
  }
}

}  // namespace wf::options
