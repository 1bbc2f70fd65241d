#include "core/option_schema.h"

#include <array>
#include <cmath>
#include <sstream>

#include "core/enum_names.h"
#include "core/error.h"

namespace wf::core {
namespace {

constexpr std::array<EnumName<OptionKind>, 9> kKinds{{{OptionKind::integer, "integer"},
                                                      {OptionKind::number, "number"},
                                                      {OptionKind::text, "text"},
                                                      {OptionKind::path, "path"},
                                                      {OptionKind::choice, "choice"},
                                                      {OptionKind::list, "list"},
                                                      {OptionKind::flag, "flag"},
                                                      {OptionKind::object, "object"},
                                                      {OptionKind::numbers, "numbers"}}};

std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

[[noreturn]] void reject(const OptionSpec& spec, const std::string& what, const std::string& prefix) {
  std::string hint = spec.help;
  if (spec.kind == OptionKind::integer || spec.kind == OptionKind::number) {
    if (spec.min && spec.max) {
      hint += ": from " + number_text(*spec.min) + " to " + number_text(*spec.max);
    } else if (spec.min || spec.max) {
      hint += spec.min ? ": at least " + number_text(*spec.min) : ": at most " + number_text(*spec.max);
    }
    if (spec.automatic) hint += ", or \"auto\"";
  }
  if (!spec.choices.empty()) {
    hint = "use one of:";
    for (const auto& c : spec.choices) hint += " " + c;
  }
  throw Error(ErrorCode::invalid_input, "option " + prefix + spec.name + " " + what, {}, hint);
}

bool offered(const OptionSpec& spec, OptionUse use) {
  return use == OptionUse::pipeline ? spec.pipeline : spec.direct;
}

void check_range(const OptionSpec& spec, double value, const std::string& prefix) {
  if (spec.min && value < *spec.min) reject(spec, "must be at least " + number_text(*spec.min), prefix);
  if (spec.max && value > *spec.max) reject(spec, "must be at most " + number_text(*spec.max), prefix);
}

void check_value(const OptionSpec& spec, const nlohmann::json& value, const std::string& prefix) {
  if (spec.automatic && value == "auto") return;
  switch (spec.kind) {
    case OptionKind::integer:
      if (!value.is_number_integer()) reject(spec, "must be a whole number", prefix);
      check_range(spec, value.get<double>(), prefix);
      break;
    case OptionKind::number:
      if (!value.is_number() || !std::isfinite(value.get<double>())) reject(spec, "must be a number", prefix);
      check_range(spec, value.get<double>(), prefix);
      break;
    case OptionKind::text:
    case OptionKind::path:
      if (!value.is_string()) reject(spec, "must be text", prefix);
      break;
    case OptionKind::choice:
      if (!value.is_string() ||
          std::find(spec.choices.begin(), spec.choices.end(), value.get<std::string>()) == spec.choices.end()) {
        reject(spec, "is not one of its choices", prefix);
      }
      break;
    case OptionKind::list:
      if (!value.is_array()) reject(spec, "must be a list", prefix);
      if (spec.min && static_cast<double>(value.size()) < *spec.min)
        reject(spec, "must hold at least " + number_text(*spec.min) + " names", prefix);
      if (spec.max && static_cast<double>(value.size()) > *spec.max)
        reject(spec, "must hold at most " + number_text(*spec.max) + " names", prefix);
      for (const auto& item : value) {
        if (!item.is_string()) reject(spec, "must be a list of names", prefix);
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), item.get<std::string>()) == spec.choices.end()) {
          reject(spec, "holds '" + item.get<std::string>() + "', which is not one of its choices", prefix);
        }
      }
      break;
    case OptionKind::flag:
      if (!value.is_boolean()) reject(spec, "must be true or false", prefix);
      break;
    case OptionKind::object:
      if (!value.is_object()) reject(spec, "must be an object", prefix);
      break;
    case OptionKind::numbers:
      if (!value.is_array()) reject(spec, "must be a list of whole numbers", prefix);
      for (const auto& item : value) {
        if (!item.is_number_integer()) reject(spec, "holds " + item.dump() + ", not a whole number", prefix);
        check_range(spec, item.get<double>(), prefix);
      }
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
                         {"advanced", spec.advanced},
                         {"label", spec.label.empty() ? spec.name : spec.label},
                         {"automatic", spec.automatic},
                         {"direct", spec.direct},
                         {"pipeline", spec.pipeline},
                         {"pipeline_default", default_for(spec, OptionUse::pipeline)}};
    if (!spec.pipeline_reason.empty()) entry["pipeline_reason"] = spec.pipeline_reason;
    if (spec.min) entry["min"] = *spec.min;
    if (spec.max) entry["max"] = *spec.max;
    if (!spec.choices.empty()) entry["choices"] = spec.choices;
    out.push_back(entry);
  }
  return out;
}

const nlohmann::json& default_for(const OptionSpec& spec, OptionUse use) {
  return use == OptionUse::pipeline && !spec.pipeline_default.is_null() ? spec.pipeline_default : spec.default_value;
}

nlohmann::json option_defaults(const OptionSchema& schema, OptionUse use) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& spec : schema) {
    if (offered(spec, use) && !default_for(spec, use).is_null()) out[spec.name] = default_for(spec, use);
  }
  return out;
}

nlohmann::json resolve_options(const OptionSchema& schema, const nlohmann::json& values, OptionUse use,
                               const std::string& prefix) {
  if (!values.is_object()) {
    throw Error(ErrorCode::invalid_input, prefix.empty() ? "options must be a JSON object"
                                                         : "setting '" + prefix.substr(0, prefix.size() - 1) +
                                                               "' must be a JSON object");
  }
  for (const auto& item : values.items()) {
    const std::string& name = item.key();  // named, not bound: the lambda captures it (clang 14 cannot capture bindings)
    const bool known = std::any_of(schema.begin(), schema.end(),
                                   [&](const OptionSpec& s) { return s.name == name && offered(s, use); });
    if (!known) {
      std::string names;
      for (const auto& s : schema) {
        if (offered(s, use)) names += (names.empty() ? "" : ", ") + prefix + s.name;
      }
      throw Error(ErrorCode::invalid_input, "unknown option " + prefix + name, {}, "the options are " + names);
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& spec : schema) {
    if (!offered(spec, use)) continue;
    const auto it = values.find(spec.name);
    if (it == values.end() || it->is_null()) {
      if (spec.required) reject(spec, "is required", prefix);
      if (!default_for(spec, use).is_null()) out[spec.name] = default_for(spec, use);
      continue;
    }
    check_value(spec, *it, prefix);
    out[spec.name] = *it;
  }
  return out;
}

nlohmann::json parse_option_text(const OptionSpec& spec, const std::string& text) {
  if (spec.automatic && text == "auto") return "auto";
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
      case OptionKind::list:
      case OptionKind::numbers: {
        nlohmann::json items = nlohmann::json::array();
        std::stringstream in(text);
        for (std::string item; std::getline(in, item, ',');) {
          if (item.empty()) continue;
          if (spec.kind == OptionKind::list) {
            items.push_back(item);
            continue;
          }
          std::size_t end = 0;
          items.push_back(std::stoll(item, &end));
          if (end != item.size()) throw std::invalid_argument(item);
        }
        return items;
      }
      case OptionKind::object: {
        nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
        if (object.is_object()) return object;
        break;
      }
      default: return text;
    }
  } catch (const std::logic_error&) {
  }
  reject(spec, "cannot be '" + text + "' (" + std::string(to_string(spec.kind)) + " expected)", "");
}

}  // namespace wf::core
