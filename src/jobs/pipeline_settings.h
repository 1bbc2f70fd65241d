#pragma once
// The pipeline's settings: the smart defaults (identity 100 epochs, XSeg 50, LoRA rank 16 when turned on, batch
// sizes "auto"), a "quick" preset for a first try that finishes in minutes, and the user's overrides as a JSON
// merge patch ({"xseg": {"epochs": 10}}). Every phase reads its own object; unknown keys are refused by name.
//
//   base_model, tokenizer         SD 1.5 for identity, LoRA and the generative engine ("": the installed one)
//   extract   {crop}
//   identity  {enabled: "auto" | true | false, epochs, resolution, batch, lr, checkpoint_every, sample_every,
//              seed, resampler}   "auto": trained when the swap is generative (the engine it conditions)
//   xseg      {enabled, epochs, resolution, batch, lr, checkpoint_every, seed}
//   lora      {enabled, ...the LoRA trainer's options (lora_options.h)}
//   swap      {engine, landmarks, colour}
//   review    {min_confidence, min_similarity, max_jump, attempts}

#include <nlohmann/json.hpp>
#include <string_view>

namespace wf::jobs {

nlohmann::json pipeline_defaults();
nlohmann::json quick_preset();  // a merge patch over the defaults

// Defaults, then the preset ("standard" or "quick"), then `overrides`. Throws wf::Error(invalid_input) naming an
// unknown preset or key, a value of the wrong type, or an XSeg number out of its range (the message names the
// setting, the hint its range).
nlohmann::json resolve_pipeline_settings(std::string_view preset, const nlohmann::json& overrides);

// "xseg.epochs=10" as a merge patch ({"xseg": {"epochs": 10}}); the value is JSON when it parses, else a string.
// Throws wf::Error(invalid_input) without '=' or with an empty key part.
nlohmann::json setting_patch(std::string_view assignment);

// "auto" batch sizes: on CUDA the trainer probes down from `cuda_start`; on the CPU, from the RAM available:
// `per_sample_gib` per sample, at most `most`.
std::int64_t auto_batch(const nlohmann::json& value, double per_sample_gib, std::int64_t most);

}  // namespace wf::jobs
