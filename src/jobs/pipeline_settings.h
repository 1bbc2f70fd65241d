#pragma once
// The pipeline's settings: one object per phase, each made from its option schema (options/setting_sections.h,
// listed in docs/settings.md) with the pipeline's defaults, a "quick" preset for a first try that finishes in
// minutes, and the user's overrides as a JSON merge patch ({"xseg": {"epochs": 10}}; null puts a default back).
//
//   base_model, tokenizer   SD 1.5 for identity, LoRA and the generative engine ("": the installed one)
//   stop_after              the last phase a job runs ("": all)
//   extract, identity, xseg, lora, swap, review   the sections

#include <nlohmann/json.hpp>
#include <string_view>

namespace wf::jobs {

nlohmann::json pipeline_defaults();
nlohmann::json quick_preset();  // a merge patch over the defaults

// Defaults, then the preset ("standard" or "quick"), then `overrides`, each section checked by its schema. Throws
// wf::Error(invalid_input) naming an unknown preset or setting, or a value of the wrong type or out of its range
// (the message names the setting, the hint its range).
nlohmann::json resolve_pipeline_settings(std::string_view preset, const nlohmann::json& overrides);

// "xseg.epochs=10" as a merge patch ({"xseg": {"epochs": 10}}); the value is JSON when it parses, else a string.
// Throws wf::Error(invalid_input) without '=' or with an empty key part.
nlohmann::json setting_patch(std::string_view assignment);

// A phase's recorded inputs with each settings section completed by today's defaults, so a finished phase stamped
// before an option was added still counts as finished with the same settings.
nlohmann::json with_section_defaults(const nlohmann::json& inputs);

}  // namespace wf::jobs
