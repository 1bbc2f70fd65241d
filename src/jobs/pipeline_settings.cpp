#include "jobs/pipeline_settings.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/machine.h"
#include "core/option_schema.h"
#include "train/trainers/xseg/xseg_limits.h"

namespace wf::jobs {
namespace {

// Keys whose values are free-form (checked by the code that reads them).
bool free_form(const std::string& path) {
  return path == "/identity/resampler" || path.starts_with("/lora/");
}

void check_keys(const nlohmann::json& value, const nlohmann::json& reference, const std::string& path) {
  for (const auto& [key, item] : value.items()) {
    const std::string here = path + "/" + key;
    if (free_form(here)) continue;
    if (!reference.contains(key)) {
      throw Error(ErrorCode::invalid_input, "unknown pipeline setting '" + here.substr(1) + "'", {},
                  "see the settings pipeline_settings.h lists (watserface run --help)");
    }
    const nlohmann::json& expected = reference.at(key);
    if (expected.is_object()) {
      if (!item.is_object()) {
        throw Error(ErrorCode::invalid_input, "pipeline setting '" + here.substr(1) + "' must be an object", {}, "");
      }
      check_keys(item, expected, here);
    } else {
      // A key whose default is "auto" takes "auto" or a value of the type it stands for (a number, a bool).
      const bool automatic = expected == "auto";
      const bool same = expected.type() == item.type() || (expected.is_number() && item.is_number());
      const bool stands_for = automatic && (item == "auto" || item.is_number_integer() || item.is_boolean());
      if (!expected.is_null() && !(automatic ? stands_for : same)) {
        throw Error(ErrorCode::invalid_input,
                    "pipeline setting '" + here.substr(1) + "' cannot be " +
                        item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                        (automatic ? ": use \"auto\" or a value" : ": use a " + std::string(expected.type_name())),
                    {}, "");
      }
    }
  }
}

using core::OptionKind;

// The XSeg phase's numbers, named as --set names them: a value the trainer would refuse (or choke on) is refused
// when the job is queued, not when the phase starts.
const core::OptionSchema& xseg_setting_schema() {
  static const core::OptionSchema schema{
      {.name = "xseg.epochs",
       .kind = OptionKind::integer,
       .help = "passes over the target's faces: 1 to " + std::to_string(xseg::kMaxEpochs),
       .min = 1,
       .max = xseg::kMaxEpochs},
      {.name = "xseg.resolution",
       .kind = OptionKind::integer,
       .help = "the network's input size: a multiple of 32 from " + std::to_string(xseg::kMinResolution) + " to " +
               std::to_string(xseg::kMaxResolution),
       .min = xseg::kMinResolution,
       .max = xseg::kMaxResolution},
      {.name = "xseg.batch",
       .kind = OptionKind::integer,
       .help = "faces per step: \"auto\" or 1 to 1024",
       .min = 1,
       .max = 1024},
      {.name = "xseg.lr",
       .kind = OptionKind::number,
       .help = "AdamW's peak learning rate: 1e-08 to 1",
       .min = 1e-8,
       .max = 1},
      {.name = "xseg.checkpoint_every",
       .kind = OptionKind::integer,
       .help = "steps between checkpoints: 0 (only at the end) to 1000000000",
       .min = 0,
       .max = 1e9},
      {.name = "xseg.seed", .kind = OptionKind::integer, .help = "0 to 2^53", .min = 0, .max = 9007199254740992.0},
  };
  return schema;
}

void check_xseg_settings(const nlohmann::json& xseg) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& spec : xseg_setting_schema()) {
    const auto value = xseg.find(spec.name.substr(std::string_view("xseg.").size()));
    if (value == xseg.end() || (spec.name == "xseg.batch" && *value == "auto")) continue;
    values[spec.name] = *value;
  }
  core::resolve_options(xseg_setting_schema(), values);  // integers in range from here on
  if (values.contains("xseg.resolution") && values.at("xseg.resolution").get<int>() % 32 != 0) {
    throw Error(ErrorCode::invalid_input, "option xseg.resolution must be a multiple of 32", {},
                xseg_setting_schema().at(1).help);
  }
}

}  // namespace

nlohmann::json pipeline_defaults() {
  return {
      {"base_model", ""},
      {"tokenizer", ""},
      {"stop_after", ""},
      {"extract", {{"crop", 512}}},
      {"identity",
       {{"enabled", "auto"},
        {"epochs", 100},
        {"resolution", 512},
        {"batch", "auto"},
        {"lr", 1e-5},
        {"checkpoint_every", 50},
        {"sample_every", 0},
        {"seed", 0},
        {"resampler", nullptr}}},
      {"xseg",
       {{"enabled", true},
        {"epochs", 50},
        {"resolution", 256},
        {"batch", "auto"},
        {"lr", 1e-3},
        {"checkpoint_every", 50},
        {"seed", 0}}},
      {"lora", {{"enabled", false}, {"rank", 16}}},
      {"swap", {{"engine", "offline"}, {"landmarks", 478}, {"colour", "lab"}}},
      {"review",
       {{"min_confidence", 0.7},
        {"min_similarity", 0.6},
        {"max_jump", 0.1},
        {"attempts", 4},
        {"frames", nlohmann::json::array()}}},
  };
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
    check_keys(overrides, settings, "");
    settings.merge_patch(overrides);
  }
  check_xseg_settings(settings.at("xseg"));
  settings["preset"] = preset;
  return settings;
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

std::int64_t auto_batch(const nlohmann::json& value, double per_sample_gib, std::int64_t most) {
  if (value.is_number_integer()) return std::max<std::int64_t>(1, value.get<std::int64_t>());
  const double available = static_cast<double>(core::read_machine_info().available_memory) / double(1ull << 30);
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(available / per_sample_gib)), 1, most);
}

}  // namespace wf::jobs
