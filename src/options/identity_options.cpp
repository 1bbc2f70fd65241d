#include "options/identity_options.h"

#include <string>

#include "options/common_options.h"

namespace wf::options {
using core::OptionKind;

const core::OptionSchema& identity_option_schema() {
  static const core::OptionSchema schema{
      {.name = "enabled",
       .kind = OptionKind::flag,
       .default_value = "auto",
       .help = "train the identity adapter; auto: when the swap engine takes one",
       .label = "Train the identity adapter",
       .automatic = true,
       .direct = false},
      command_path_option("dataset", "the source dataset (watserface extract --source)"),
      command_path_option("output", "the adapter folder to write"),
      base_model_option(),
      tokenizer_option(),
      {.name = "init",
       .kind = OptionKind::path,
       .help = "an adapter folder (ours or InstantID's) to start from",
       .pipeline = false},
      {.name = "epochs",
       .kind = OptionKind::integer,
       .default_value = 100,
       .help = "passes over the source's faces",
       .min = 1,
       .max = 100000,
       .label = "Identity adapter epochs"},
      diffusion_resolution_option("Identity adapter resolution"),
      {.name = "batch",
       .kind = OptionKind::integer,
       .default_value = "auto",
       .help = "faces per micro-batch; auto: from the free memory (on CUDA, the largest that fits)",
       .min = 1,
       .max = 256,
       .label = "Identity adapter batch",
       .automatic = true},
      accumulation_option(1, "Identity gradient accumulation"),
      {.name = "lr",
       .kind = OptionKind::number,
       .default_value = 1e-5,
       .help = "learning rate (AdamW, constant after the warm-up)",
       .min = 1e-10,
       .max = 1,
       .label = "Identity adapter learning rate"},
      {.name = "warmup",
       .kind = OptionKind::integer,
       .default_value = 100,
       .help = "steps the learning rate climbs to its value",
       .min = 0,
       .max = 1e9,
       .advanced = true,
       .label = "Identity warm-up steps",
       .pipeline_default = 0,
       .pipeline_reason = "the quick preset trains a few dozen steps, which a 100-step warm-up would spend below "
                          "the learning rate"},
      snr_gamma_option("Identity min-SNR gamma"),
      {.name = "control",
       .kind = OptionKind::choice,
       .default_value = "keypoints_5",
       .help = "what the IdentityNet is conditioned on: InstantID's five keypoints or the face mesh's contours",
       .choices = {"keypoints_5", "face_mesh"},
       .advanced = true,
       .label = "Identity control image"},
      {.name = "prompt",
       .kind = OptionKind::text,
       .default_value = kIdentityPrompt,
       .help = "the text every face is trained with",
       .advanced = true,
       .label = "Identity prompt"},
      keep_activations_option("Identity: keep activations"),
      checkpoint_every_option(50, "Identity checkpoint every (steps)"),
      {.name = "sample_every",
       .kind = OptionKind::integer,
       .default_value = 250,
       .help = "steps between sample images in OUTPUT/samples (0: none)",
       .min = 0,
       .max = 1e9,
       .label = "Identity sample every (steps)",
       .pipeline_default = 0,
       .pipeline_reason = "the wizard shows no samples, and each costs a full generation"},
      seed_option("seed of initialisation, order and noise", "Identity seed"),
      {.name = "resampler",
       .kind = OptionKind::object,
       .help = "the Resampler's shape (InstantID's when absent), as identity.json's \"resampler\" object",
       .advanced = true,
       .label = "Identity resampler"},
  };
  return schema;
}

nlohmann::json resolve_identity_options(const nlohmann::json& values, core::OptionUse use) {
  const std::string prefix = use == core::OptionUse::pipeline ? "identity." : "";
  nlohmann::json resolved = core::resolve_options(identity_option_schema(), values, use, prefix);
  check_diffusion_resolution(resolved, prefix);
  return resolved;
}

}  // namespace wf::options
