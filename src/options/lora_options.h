#pragma once
// The options of LoRA training, declared once as a schema (core/option_schema.h) that the CLI's flags, the HTTP
// API (GET /api/v1/schema), job settings and the trainer's typed options (train/trainers/lora/lora_options.h) read.

#include <nlohmann/json.hpp>

#include "core/option_schema.h"

namespace wf::options {

const core::OptionSchema& lora_option_schema();

// `values` checked against the schema (names, types, ranges; a resolution that is a multiple of 8) and completed
// with its defaults. Throws wf::Error(invalid_input) naming the option.
nlohmann::json resolve_lora_options(const nlohmann::json& values);

}  // namespace wf::options
