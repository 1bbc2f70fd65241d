// The option schemas as users meet them: docs/settings.md is what they generate, every pipeline default that
// differs from a command's says why, each section's defaults pass its own checks, and a value out of range is
// refused naming the setting as --set spells it.

#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "options/identity_options.h"
#include "options/setting_sections.h"
#include "options/xseg_options.h"
#include "support/temp_dir.h"

namespace wf::options {
namespace {

TEST(SettingSections, TheSettingsDocumentIsWhatTheSchemasGenerate) {
  EXPECT_EQ(test::read_text(WF_SETTINGS_DOC), settings_markdown())
      << "docs/settings.md is out of date: watserface settings --markdown > docs/settings.md";
}

TEST(SettingSections, EachSectionNamesItsOptionsOnceAndEveryPipelineDefaultOfItsOwnSaysWhy) {
  std::set<std::string_view> sections;
  for (const SettingSection& section : setting_sections()) {
    EXPECT_TRUE(sections.insert(section.name).second) << section.name;
    std::set<std::string> names;
    for (const core::OptionSpec& spec : section.schema()) {
      EXPECT_TRUE(names.insert(spec.name).second) << section.name << "." << spec.name;
      EXPECT_FALSE(spec.help.empty()) << section.name << "." << spec.name;
      EXPECT_EQ(spec.pipeline_default.is_null(), spec.pipeline_reason.empty()) << section.name << "." << spec.name;
      if (spec.pipeline) {
        EXPECT_FALSE(spec.label.empty()) << section.name << "." << spec.name << " has no label";
      }
    }
    // The pipeline's defaults pass the section's own checks unchanged.
    const nlohmann::json defaults = core::option_defaults(section.schema(), core::OptionUse::pipeline);
    EXPECT_EQ(section.resolve(defaults), defaults) << section.name;
  }
}

TEST(SettingSections, ACommandAndThePipelineTakeTheirOwnDefaultsAndOptions) {
  const nlohmann::json direct = resolve_xseg_options({{"dataset", "d"}, {"output", "o"}});
  const nlohmann::json pipeline = resolve_xseg_options(nlohmann::json::object(), core::OptionUse::pipeline);
  EXPECT_EQ(direct.at("epochs"), kXSegEpochs);
  EXPECT_EQ(pipeline.at("epochs"), kXSegEpochs);
  EXPECT_EQ(direct.at("warmup"), 50);
  EXPECT_EQ(pipeline.at("warmup"), 0);
  EXPECT_EQ(pipeline.at("batch"), "auto");
  EXPECT_FALSE(pipeline.contains("dataset")) << "the project gives the pipeline its files";
  EXPECT_EQ(pipeline.at("enabled"), true);
  std::string message;
  try {
    resolve_xseg_options({{"enabled", false}, {"dataset", "d"}, {"output", "o"}});
  } catch (const Error& e) {
    message = e.message();
  }
  EXPECT_EQ(message, "unknown option enabled") << "a phase's switch is not a command's option";
}

TEST(SettingSections, AnIdentityNumberOutOfRangeIsRefusedNamingTheSetting) {
  const std::vector<std::pair<nlohmann::json, std::string>> bad{
      {{{"epochs", 0}}, "option identity.epochs must be at least 1"},
      {{{"resolution", 100}}, "option identity.resolution must be a multiple of 8"},
      {{{"lr", -1}}, "option identity.lr must be at least 1e-10"},
      {{{"batch", "many"}}, "option identity.batch must be a whole number"},
      {{{"control", "sketch"}}, "option identity.control is not one of its choices"},
  };
  for (const auto& [values, expected] : bad) {
    std::string message;
    try {
      resolve_identity_options(values, core::OptionUse::pipeline);
    } catch (const Error& e) {
      message = e.message();
    }
    EXPECT_EQ(message, expected) << values.dump();
  }
  EXPECT_EQ(resolve_identity_options({{"batch", "auto"}}, core::OptionUse::pipeline).at("batch"), "auto");
}

}  // namespace
}  // namespace wf::options
