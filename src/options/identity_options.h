#pragma once
// The options of identity-adapter training: `watserface train identity`'s flags, the pipeline's `identity`
// settings and the browser's Advanced options, declared once (core/option_schema.h).

#include <nlohmann/json.hpp>

#include "core/option_schema.h"

namespace wf::options {

inline constexpr const char* kIdentityPrompt = "a photo of a person";

const core::OptionSchema& identity_option_schema();

// `values` checked (names, types, ranges, a resolution that is a multiple of 8) and completed with the defaults of
// `use`. Throws wf::Error(invalid_input) naming the option.
nlohmann::json resolve_identity_options(const nlohmann::json& values, core::OptionUse use = core::OptionUse::direct);

}  // namespace wf::options
