#pragma once
// The pipeline's settings objects in the order the phases run, each with its schema and its own checks: what
// the pipeline's defaults, `--set`, the HTTP API's job bodies, the browser's Advanced options (GET /api/v1/schema)
// and docs/settings.md are made from.

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "core/option_schema.h"

namespace wf::options {

struct SettingSection {
  std::string_view name;   // the settings key: "xseg"
  std::string_view title;  // "XSeg occlusion mask"
  const core::OptionSchema& (*schema)();
  // The section's values checked and completed with the pipeline's defaults (wf::Error(invalid_input) naming
  // "xseg.epochs").
  nlohmann::json (*resolve)(const nlohmann::json& values);
};

const std::vector<SettingSection>& setting_sections();

// {"sections": [{"name", "title", "options": schema_json}, ...]}: GET /api/v1/schema.
nlohmann::json settings_schema_json();

// The settings reference as Markdown, one table per section: docs/settings.md is this text.
std::string settings_markdown();

}  // namespace wf::options
