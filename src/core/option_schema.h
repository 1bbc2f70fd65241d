#pragma once
// Options declared once — name, kind, default, range, choices, help — and read by everything that takes them:
// the CLI builds its flags and help from the schema, the HTTP API serves it (GET /api/v1/schema) and validates
// request bodies with it, and a job's options go through it on their way into a typed options struct.
// FaceFusion's choices.py is the idea: the UI never hard-codes a range.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wf::core {

// object: a JSON object its reader checks; numbers: a list of whole numbers.
enum class OptionKind { integer, number, text, path, choice, list, flag, object, numbers };
std::string_view to_string(OptionKind kind);

// Where options are given: to a command that runs one trainer or engine (the CLI's flags, the modeler page), or
// in a pipeline job's settings (--set, the browser's Advanced options), where the project supplies the files.
enum class OptionUse { direct, pipeline };

struct OptionSpec {
  std::string name{};  // the JSON key; the CLI flag is --name with '_' as '-'
  OptionKind kind = OptionKind::text;
  nlohmann::json default_value{};  // null: no default (required when `required`, else absent)
  std::string help{};
  std::optional<double> min{}, max{};  // integer, number; for list: its length
  std::vector<std::string> choices{};  // choice, and the allowed items of a list (empty: any)
  bool required = false;
  bool advanced = false;      // shown under "Advanced options"
  std::string label{};        // the browser's name for it ("XSeg mask epochs")
  bool automatic = false;     // also takes "auto": decided when it runs (a batch size from the memory there)
  bool direct = true;         // offered to a command
  bool pipeline = true;       // offered in a pipeline job's settings
  nlohmann::json pipeline_default{};  // the pipeline's default, where it must differ from a command's...
  std::string pipeline_reason{};      // ...and why
};

using OptionSchema = std::vector<OptionSpec>;

// The schema as the API serves it: [{"name", "kind", "default", "help", "min", "max", "choices", "required",
// "advanced", "label", "automatic", "direct", "pipeline", "pipeline_default", "pipeline_reason"}, ...].
nlohmann::json schema_json(const OptionSchema& schema);

// The default an option takes where it is used.
const nlohmann::json& default_for(const OptionSpec& spec, OptionUse use);

// The defaults of the options offered for `use`, as an object (options without a default left out).
nlohmann::json option_defaults(const OptionSchema& schema, OptionUse use);

// `values` checked against the options offered for `use` and completed with their defaults. Throws
// wf::Error(invalid_input) naming the option and what is wrong: an unknown name, a missing required one, a wrong
// type, a value out of range or not among the choices. `prefix` ("xseg.") is put before names in messages.
nlohmann::json resolve_options(const OptionSchema& schema, const nlohmann::json& values,
                               OptionUse use = OptionUse::direct, const std::string& prefix = "");

// "{1..256}" for a number with bounds ("{0..}" with a lower one only), "" otherwise: for help texts.
std::string range_text(const OptionSpec& spec);

// The JSON value of an option given as text (a CLI flag): numbers parsed, lists split at commas, flags
// "true"/"false". Throws invalid_input naming the option.
nlohmann::json parse_option_text(const OptionSpec& spec, const std::string& text);

}  // namespace wf::core
