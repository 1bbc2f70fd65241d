#include "jobs/pipeline_settings.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/option_schema.h"
#include "core/utf8.h"
#include "options/setting_sections.h"

namespace wf::jobs {
namespace {

// The settings outside the sections: SD 1.5 for identity, LoRA and the generative engine ("": the installed
// one), its tokenizer, and the last phase a job runs ("": all).
const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys{"base_model", "tokenizer", "stop_after"};
  return keys;
}

const options::SettingSection* section_named(const std::string& name) {
  for (const options::SettingSection& section : options::setting_sections()) {
    if (section.name == name) return &section;
  }
  return nullptr;
}

}  // namespace

nlohmann::json pipeline_defaults() {
  nlohmann::json defaults = nlohmann::json::object();
  for (const std::string& key : top_level_keys()) defaults[key] = "";
  for (const options::SettingSection& section : options::setting_sections()) {
    defaults[std::string(section.name)] = core::option_defaults(section.schema(), core::OptionUse::pipeline);
  }
  return defaults;
}

nlohmann::json quick_preset() {
  return {{"extract", {{"crop", 256}}},
          {"identity", {{"epochs", 10}, {"resolution", 256}, {"checkpoint_every", 5}}},
          {"xseg", {{"epochs", 5}, {"resolution", 128}, {"checkpoint_every", 20}}},
          {"lora", {{"enabled", false}}},
          {"review", {{"attempts", 2}}}};
}

nlohmann::json resolve_pipeline_settings(std::string_view preset, const nlohmann::json& overrides) {
  nlohmann::json settings = pipeline_defaults();
  if (preset == "quick") {
    settings.merge_patch(quick_preset());
  } else if (preset != "standard") {
    throw Error(ErrorCode::invalid_input, "unknown preset '" + std::string(preset) + "'", {}, "use standard or quick");
  }
  if (!overrides.is_null() && !overrides.is_object()) {
    throw Error(ErrorCode::invalid_input, "pipeline settings must be a JSON object", {}, "");
  }
  if (overrides.is_object()) {
    for (const auto& [key, value] : overrides.items()) {
      const bool top = std::find(top_level_keys().begin(), top_level_keys().end(), key) != top_level_keys().end();
      if (top && !value.is_string()) {
        throw Error(ErrorCode::invalid_input, "pipeline setting '" + key + "' must be text", {}, "");
      }
      if (!top && !section_named(key)) {
        throw Error(ErrorCode::invalid_input,
                    "unknown pipeline setting '" + core::printable_excerpt(key, 80) + "'", {},
                    "see docs/settings.md (watserface settings)");
      }
      if (!top && !value.is_object()) {
        throw Error(ErrorCode::invalid_input, "pipeline setting '" + key + "' must be an object", {}, "");
      }
    }
    settings.merge_patch(overrides);
  }
  for (const options::SettingSection& section : options::setting_sections()) {
    nlohmann::json& values = settings.at(std::string(section.name));
    values = section.resolve(values);
  }
  settings["preset"] = preset;
  return settings;
}

nlohmann::json with_section_defaults(const nlohmann::json& inputs) {
  if (!inputs.is_object()) return inputs;
  nlohmann::json out = inputs;
  for (auto& [key, value] : out.items()) {
    const options::SettingSection* section = section_named(key);
    if (!section || !value.is_object()) continue;
    try {
      value = section->resolve(value);
    } catch (const Error&) {  // settings of another version: compared as they are
    }
  }
  return out;
}

nlohmann::json setting_patch(std::string_view assignment) {
  const auto equals = assignment.find('=');
  const std::string_view key = assignment.substr(0, equals == std::string_view::npos ? 0 : equals);
  std::vector<std::string> parts;
  for (std::size_t start = 0; equals != std::string_view::npos;) {
    const std::size_t dot = key.find('.', start);
    parts.emplace_back(key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.empty() || std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); })) {
    throw Error(ErrorCode::invalid_input, "a setting is key=value, not '" + std::string(assignment) + "'", {},
                "e.g. --set xseg.epochs=10");
  }
  const std::string text(assignment.substr(equals + 1));
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  for (auto part = parts.rbegin(); part != parts.rend(); ++part) value = nlohmann::json{{*part, value}};
  return value;
}

}  // namespace wf::jobs
