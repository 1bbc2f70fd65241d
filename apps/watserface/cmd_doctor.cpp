// watserface doctor: check the machine and the model files, and say how to fix what is missing; with --project,
// also whether every file of that project opens (after a crash, a full disk or a copy cut short).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_context.h"
#include "jobs/engine_status.h"
#include "jobs/project_check.h"
#include "models/doctor.h"

namespace wf::app {

namespace {

nlohmann::json to_json(const std::vector<jobs::ProjectProblem>& problems) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : problems) out.push_back({{"path", p.path.string()}, {"problem", p.what}, {"fix", p.fix}});
  return out;
}

std::string to_text(const std::string& project, const std::vector<jobs::ProjectProblem>& problems) {
  if (problems.empty()) return "\nProject " + project + ": every file opens\n";
  std::string text = "\nProject " + project + ": " + std::to_string(problems.size()) + " damaged or missing\n";
  for (const auto& p : problems) text += "  " + p.path.string() + ": " + p.what + "\n    fix: " + p.fix + "\n";
  return text;
}

std::string to_text(const std::vector<jobs::EngineStatus>& engines) {
  std::string text = "\nSwap engines\n";
  for (const auto& e : engines) {
    text += std::string(e.available ? "  [ok]      " : "  [missing] ") + std::string(e.spec->name) + ": " +
            std::string(e.spec->label) + "\n";
    if (!e.available) text += "            needs " + e.missing + ": " + e.fix + "\n";
  }
  return text;
}

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto json = std::make_shared<bool>(false);
  auto project = std::make_shared<std::string>();
  auto* command =
      app.add_subcommand("doctor", "Check this machine and the model files; name every missing one and where it goes");
  command->add_flag("--json", *json, "print the report as JSON");
  command->add_option("--project", *project, "also check that every file of this project opens");
  command->callback([&global, &status, json, project] {
    const core::AppConfig config = resolve_config(global);
    const models::DoctorReport report = models::run_doctor(config);
    const std::vector<jobs::EngineStatus> engines = jobs::engine_statuses(config);
    std::vector<jobs::ProjectProblem> problems;
    if (!project->empty()) {
      jobs::check_project_name(*project);
      problems = jobs::check_project(jobs::project_paths(config.workspace_dir, *project));
    }
    std::string text;
    if (*json) {
      nlohmann::json out = report.to_json();
      out["engines"] = jobs::engines_json(engines);
      if (!project->empty()) out["project"] = {{"name", *project}, {"problems", to_json(problems)}};
      text = out.dump(2) + "\n";
    } else {
      text = report.to_text() + to_text(engines) + (project->empty() ? "" : to_text(*project, problems));
    }
    std::fputs(text.c_str(), stdout);
    status = report.has_problems() || !problems.empty() ? 1 : 0;
  });
}

}  // namespace wf::app
