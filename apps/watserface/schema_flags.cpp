#include "schema_flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "core/error.h"

namespace wf::app {
namespace {

std::string flag_name(const std::string& name) {
  std::string flag = "--" + name;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string describe(const core::OptionSpec& spec) {
  std::string text = spec.help;
  if (!spec.choices.empty()) {
    text += " (";
    for (std::size_t i = 0; i < spec.choices.size(); ++i) text += (i ? ", " : "") + spec.choices[i];
    text += spec.kind == core::OptionKind::list ? "; comma-separated)" : ")";
  }
  if (const std::string range = core::range_text(spec); !range.empty()) text += " " + range;
  if (!spec.pipeline_reason.empty()) {
    text += " [the pipeline's default: " + core::default_for(spec, core::OptionUse::pipeline).dump() + ", because " +
            spec.pipeline_reason + "]";
  }
  if (!spec.default_value.is_null() && spec.kind != core::OptionKind::flag) {
    std::string value =
        spec.default_value.is_string() ? spec.default_value.get<std::string>() : spec.default_value.dump();
    if (spec.default_value.is_array()) {
      value.clear();
      for (const auto& item : spec.default_value) value += (value.empty() ? "" : ",") + item.get<std::string>();
    }
    text += " [default: " + (value.empty() ? "none" : value) + "]";
  }
  return text;
}

}  // namespace

SchemaFlags::SchemaFlags(CLI::App& command, const core::OptionSchema& schema) : schema_(schema) {
  for (const auto& spec : schema) {
    if (!spec.direct) continue;  // a pipeline setting only (a phase's switch)
    if (spec.kind == core::OptionKind::flag) {
      // One that is on unless turned off is given as --no-name.
      const bool on = spec.default_value == true;
      command.add_flag(on ? "--no-" + flag_name(spec.name).substr(2) : flag_name(spec.name), flags_[spec.name],
                       on ? "turn off: " + describe(spec) : describe(spec));
      continue;
    }
    auto* option = command.add_option(flag_name(spec.name), texts_[spec.name], describe(spec));
    const std::string type = spec.kind == core::OptionKind::integer   ? "INT"
                             : spec.kind == core::OptionKind::number  ? "NUMBER"
                             : spec.kind == core::OptionKind::path    ? "PATH"
                             : spec.kind == core::OptionKind::list    ? "NAMES"
                             : spec.kind == core::OptionKind::numbers ? "INTS"
                             : spec.kind == core::OptionKind::object  ? "JSON"
                                                                      : "TEXT";
    option->type_name(spec.automatic ? type + "|auto" : type);
    // Checked as it is parsed, so that a bad value is a usage error (exit status 2) naming the flag.
    option->check(CLI::Validator(
        [spec](std::string& text) -> std::string {
          try {
            core::resolve_options({spec}, {{spec.name, core::parse_option_text(spec, text)}});
          } catch (const Error& e) {
            return e.message() + (e.hint().empty() ? "" : " (" + e.hint() + ")");
          }
          return {};
        },
        ""));
    if (spec.required) option->required();
  }
}

nlohmann::json SchemaFlags::values() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& spec : schema_) {
    if (!spec.direct) continue;
    if (spec.kind == core::OptionKind::flag) {
      if (flags_.at(spec.name)) out[spec.name] = spec.default_value != true;
    } else if (const std::string& text = texts_.at(spec.name); !text.empty()) {
      out[spec.name] = core::parse_option_text(spec, text);
    }
  }
  return out;
}

}  // namespace wf::app
