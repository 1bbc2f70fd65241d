#include "options/setting_sections.h"

#include <sstream>
#include <string>

#include "options/extract_options.h"
#include "options/identity_options.h"
#include "options/lora_options.h"
#include "options/review_options.h"
#include "options/swap_options.h"
#include "options/xseg_options.h"

namespace wf::options {
namespace {

template <const core::OptionSchema& (*Schema)(), const char* Prefix>
nlohmann::json resolve_plain(const nlohmann::json& values) {
  return core::resolve_options(Schema(), values, core::OptionUse::pipeline, Prefix);
}

constexpr char kExtract[] = "extract.", kSwap[] = "swap.", kReview[] = "review.";

std::string cell(const nlohmann::json& value) {
  if (value.is_null()) return "";
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  return "`" + text + "`";
}

std::string range(const core::OptionSpec& spec) {
  std::string text;
  if (!spec.choices.empty()) {
    for (const auto& choice : spec.choices) text += (text.empty() ? "" : ", ") + choice;
    return text;
  }
  if (spec.min || spec.max) text = core::range_text(spec);
  if (spec.automatic) text += (text.empty() ? "" : " or ") + std::string("auto");
  return text;
}

}  // namespace

const std::vector<SettingSection>& setting_sections() {
  static const std::vector<SettingSection> sections{
      {"extract", "Face extraction", extract_option_schema, resolve_plain<extract_option_schema, kExtract>},
      {"identity", "Identity adapter", identity_option_schema,
       [](const nlohmann::json& v) { return resolve_identity_options(v, core::OptionUse::pipeline); }},
      {"xseg", "XSeg occlusion mask", xseg_option_schema,
       [](const nlohmann::json& v) { return resolve_xseg_options(v, core::OptionUse::pipeline); }},
      {"lora", "Style LoRA", lora_option_schema,
       [](const nlohmann::json& v) { return resolve_lora_options(v, core::OptionUse::pipeline); }},
      {"swap", "Swap", swap_option_schema, resolve_plain<swap_option_schema, kSwap>},
      {"review", "Review", review_option_schema, resolve_plain<review_option_schema, kReview>},
  };
  return sections;
}

nlohmann::json settings_schema_json() {
  nlohmann::json sections = nlohmann::json::array();
  for (const SettingSection& section : setting_sections()) {
    sections.push_back(
        {{"name", section.name}, {"title", section.title}, {"options", core::schema_json(section.schema())}});
  }
  return {{"sections", sections}};
}

std::string settings_markdown() {
  std::ostringstream out;
  out << "# Settings\n\n"
         "Generated from the option schemas (`src/options/`) by `watserface settings --markdown`; a test keeps this\n"
         "file equal to that output. A pipeline setting is `section.name` (`watserface run --set xseg.epochs=10`,\n"
         "the browser's Advanced options, a job's `settings`); a command's option is its flag (`--epochs 10`).\n"
         "Where the pipeline's default differs from a command's, the reason is given.\n";
  for (const SettingSection& section : setting_sections()) {
    out << "\n## " << section.title << " (`" << section.name << "`)\n\n"
        << "| name | default | pipeline | range | where | what |\n| --- | --- | --- | --- | --- | --- |\n";
    for (const core::OptionSpec& spec : section.schema()) {
      const std::string where = spec.direct && spec.pipeline ? "both" : spec.pipeline ? "pipeline" : "command";
      std::string what = spec.help;
      if (!spec.pipeline_reason.empty()) what += " (pipeline: " + spec.pipeline_reason + ")";
      out << "| `" << spec.name << "` | " << (spec.required ? "required" : cell(spec.default_value)) << " | "
          << (spec.pipeline ? cell(core::default_for(spec, core::OptionUse::pipeline)) : "") << " | " << range(spec)
          << " | " << where << " | " << what << " |\n";
    }
  }
  return out.str();
}

}  // namespace wf::options
