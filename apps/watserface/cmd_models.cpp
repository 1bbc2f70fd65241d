// watserface models: every model role, its backends and the files each uses or lacks.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_context.h"
#include "core/machine.h"
#include "models/doctor.h"

namespace wf::app {
namespace {

void print_models(const std::vector<models::RoleStatus>& roles) {
  for (const auto& role : roles) {
    std::printf("%s  [%s]\n", role.spec->id.c_str(), role.ready() ? "installed" : "missing");
    for (const auto& backend : role.backends) {
      std::printf("  %-22s %-10s %-9s %s\n", backend.spec->id.c_str(), std::string(to_string(backend.spec->source)).c_str(),
                  backend.available ? "present" : "absent", backend.spec->title.c_str());
      for (const auto& path : backend.found) {
        std::error_code ec;
        const auto bytes = std::filesystem::file_size(path, ec);
        std::printf("      %s (%s)\n", path.c_str(), ec ? "size unknown" : core::format_bytes(bytes).c_str());
      }
      for (const auto& path : backend.missing) std::printf("      missing: %s\n", path.c_str());
    }
  }
}

}  // namespace

void add_models_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto json = std::make_shared<bool>(false);
  auto* command = app.add_subcommand("models", "List model roles, their backends and the files found or missing");
  command->add_flag("--json", *json, "print as JSON");
  command->callback([&global, &status, json] {
    const core::AppConfig config = resolve_config(global);
    const auto roles = models::check_models(config);
    if (*json) {
      const models::DoctorReport report{{}, roles, config.models_dir};
      std::printf("%s\n", report.to_json().at("models").dump(2).c_str());
    } else {
      print_models(roles);
    }
    status = 0;
  });
}

}  // namespace wf::app
