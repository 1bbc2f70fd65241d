#include "core/option_schema.h"

#include <array>
#include <cmath>
#include <sstream>

#include "core/enum_names.h"
#include "core/error.h"

namespace wf::core {
namespace {

constexpr std::array<EnumName<OptionKind>, 7> kKinds{{{OptionKind::integer, "integer"},
                                                      {OptionKind::number, "number"},
                                                      {OptionKind::text, "text"},
                                                      {OptionKind::path, "path"},
                                                      {OptionKind::choice, "choice"},
                                                      {OptionKind::list, "list"},
                                                      {OptionKind::flag, "flag"}}};

std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

[[noreturn]] void reject(const OptionSpec& spec, const std::string& what) {
  std::string hint = spec.help;
  if (!spec.choices.empty()) {
    hint = "use one of:";
    for (const auto& c : spec.choices) hint += " " + c;
  }
  throw Error(ErrorCode::invalid_input, "option " + spec.name + " " + what, {}, hint);
}

void check_range(const OptionSpec& spec, double value) {
  if (spec.min && value < *spec.min) reject(spec, "must be at least " + number_text(*spec.min));
  if (spec.max && value > *spec.max) reject(spec, "must be at most " + number_text(*spec.max));
}

void check_value(const OptionSpec& spec, const nlohmann::json& value) {
  switch (spec.kind) {
    case OptionKind::integer:
      if (!value.is_number_integer()) reject(spec, "must be a whole number");
      check_range(spec, value.get<double>());
      break;
    case OptionKind::number:
      if (!value.is_number() || !std::isfinite(value.get<double>())) reject(spec, "must be a number");
      check_range(spec, value.get<double>());
      break;
    case OptionKind::text:
    case OptionKind::path:
      if (!value.is_string()) reject(spec, "must be text");
      break;
    case OptionKind::choice:
      if (!value.is_string() ||
          std::find(spec.choices.begin(), spec.choices.end(), value.get<std::string>()) == spec.choices.end()) {
        reject(spec, "is not one of its choices");
      }
      break;
    case OptionKind::list:
      if (!value.is_array()) reject(spec, "must be a list");
      if (spec.min && static_cast<double>(value.size()) < *spec.min)
        reject(spec, "must hold at least " + number_text(*spec.min) + " names");
      if (spec.max && static_cast<double>(value.size()) > *spec.max)
        reject(spec, "must hold at most " + number_text(*spec.max) + " names");
      for (const auto& item : value) {
        if (!item.is_string()) reject(spec, "must be a list of names");
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), item.get<std::string>()) == spec.choices.end()) {
          reject(spec, "holds '" + item.get<std::string>() + "', which is not one of its choices");
        }
      }
      break;
    case OptionKind::flag:
      if (!value.is_boolean()) reject(spec, "must be true or false");
      break;
  }
}

}  // namespace

std::string_view to_string(OptionKind kind) {
  return enum_to_string(kKinds, kind);
}

std::string range_text(const OptionSpec& spec) {
  if (spec.kind == OptionKind::list || (!spec.min && !spec.max)) return {};
  return "{" + (spec.min ? number_text(*spec.min) : "") + ".." + (spec.max ? number_text(*spec.max) : "") + "}";
}

nlohmann::json schema_json(const OptionSchema& schema) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& spec : schema) {
    nlohmann::json entry{{"name", spec.name},
                         {"kind", std::string(to_string(spec.kind))},
                         {"default", spec.default_value},
                         {"help", spec.help},
                         {"required", spec.required},
                         {"advanced", spec.advanced}};
    if (spec.min) entry["min"] = *spec.min;
    if (spec.max) entry["max"] = *spec.max;
    if (!spec.choices.empty()) entry["choices"] = spec.choices;
    out.push_back(entry);
  }
  return out;
}

nlohmann::json resolve_options(const OptionSchema& schema, const nlohmann::json& values) {
  if (!values.is_object()) throw Error(ErrorCode::invalid_input, "options must be a JSON object");
  for (const auto& item : values.items()) {
    const std::string& name = item.key();  // named, not bound: the lambda captures it (clang 14 cannot capture bindings)
    const bool known = std::any_of(schema.begin(), schema.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (!known) {
      std::string names;
      for (const auto& s : schema) names += (names.empty() ? "" : ", ") + s.name;
      throw Error(ErrorCode::invalid_input, "unknown option " + name, {}, "the options are " + names);
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& spec : schema) {
    const auto it = values.find(spec.name);
    if (it == values.end() || it->is_null()) {
      if (spec.required) reject(spec, "is required");
      if (!spec.default_value.is_null()) out[spec.name] = spec.default_value;
      continue;
    }
    check_value(spec, *it);
    out[spec.name] = *it;
  }
  return out;
}

nlohmann::json parse_option_text(const OptionSpec& spec, const std::string& text) {
  try {
    std::size_t used = 0;
    switch (spec.kind) {
      case OptionKind::integer: {
        const long long v = std::stoll(text, &used);
        if (used != text.size()) break;
        return v;
      }
      case OptionKind::number: {
        const double v = std::stod(text, &used);
        if (used != text.size()) break;
        return v;
      }
      case OptionKind::flag:
        if (text == "true" || text == "1") return true;
        if (text == "false" || text == "0") return false;
        break;
      case OptionKind::list: {
        nlohmann::json items = nlohmann::json::array();
        std::stringstream in(text);
        for (std::string item; std::getline(in, item, ',');) {
          if (!item.empty()) items.push_back(item);
        }
        return items;
      }
      default: return text;
    }
  } catch (const std::logic_error&) {
  }
  reject(spec, "cannot be '" + text + "' (" + std::string(to_string(spec.kind)) + " expected)");
}

}  // namespace wf::core
