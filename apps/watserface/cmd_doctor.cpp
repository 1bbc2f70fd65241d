// watserface doctor: check the machine and the model files, and say how to fix what is missing.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_context.h"
#include "models/doctor.h"

namespace wf::app {

void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto json = std::make_shared<bool>(false);
  auto* command = app.add_subcommand("doctor", "Check this machine and the model files; name every missing one and where it goes");
  command->add_flag("--json", *json, "print the report as JSON");
  command->callback([&global, &status, json] {
    const models::DoctorReport report = models::run_doctor(resolve_config(global));
    const std::string text = *json ? report.to_json().dump(2) + "\n" : report.to_text();
    std::fputs(text.c_str(), stdout);
    status = report.has_problems() ? 1 : 0;
  });
}

}  // namespace wf::app
