#pragma once
// The options of LoRA training, declared once as a schema (core/option_schema.h) that the CLI's flags, the HTTP
// API (GET /api/v1/schema), job settings and the trainer's typed options (train/trainers/lora/lora_options.h) read.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/option_schema.h"

namespace wf::options {

// peft's usual choice on an SD UNet, the attention projections: target_modules' default.
inline const std::vector<std::string> kLoraAttentionModules{"to_q", "to_k", "to_v", "to_out.0"};
// The caption of faces without their own, and the word [identity] stands for.
inline constexpr const char* kLoraPromptTemplate = "a high quality photo of [identity] person";
inline constexpr const char* kLoraIdentityWord = "ohwx";

const core::OptionSchema& lora_option_schema();

// `values` checked against the options offered for `use` (names, types, ranges; a resolution that is a multiple of
// 8) and completed with their defaults. Throws wf::Error(invalid_input) naming the option.
nlohmann::json resolve_lora_options(const nlohmann::json& values, core::OptionUse use = core::OptionUse::direct);

}  // namespace wf::options
