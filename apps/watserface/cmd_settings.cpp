// watserface settings: every pipeline setting with its default, range and help, from the option schemas (the
// same the browser's Advanced options and `--set` take); --markdown prints docs/settings.md, --json the API's form.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_context.h"
#include "options/setting_sections.h"

namespace wf::app {

void add_settings_command(CLI::App& app, int& status) {
  auto json = std::make_shared<bool>(false);
  auto markdown = std::make_shared<bool>(false);
  auto* command = app.add_subcommand(
      "settings", "List every pipeline setting (watserface run --set section.name=value) with its default and range");
  auto* as_json = command->add_flag("--json", *json, "print them as GET /api/v1/schema serves them");
  command->add_flag("--markdown", *markdown, "print docs/settings.md (the same table as Markdown, the default)")
      ->excludes(as_json);
  command->callback([&status, json, markdown] {  // both kept alive: CLI11 writes through them
    const std::string text = *json ? options::settings_schema_json().dump(2) + "\n" : options::settings_markdown();
    std::fputs(text.c_str(), stdout);
    status = 0;
  });
}

}  // namespace wf::app
