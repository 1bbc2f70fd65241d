#pragma once
// Options every subcommand shares, and the settings they resolve to.

#include <filesystem>
#include <optional>
#include <string>

#include "core/config.h"

namespace CLI {
class App;
}

namespace wf::app {

struct GlobalOptions {
  std::string config_file;  // empty: the default file when it exists
  std::string log_level;
  std::string models_dir;
  std::string workspace_dir;
  std::string device;
  std::optional<int> threads;
};

void add_global_options(CLI::App& app, GlobalOptions& options);

// Defaults, then the settings file, then the flags; logging and the image size limit set as they say.
core::AppConfig resolve_config(const GlobalOptions& options);

// `flag` when given, else the Stable Diffusion 1.5 `watserface doctor` finds under the models folder; none
// there throws wf::Error(missing_model) naming where it goes.
std::filesystem::path base_diffusion_path(const core::AppConfig& config, const std::string& flag);

// The subcommands; each sets `status` to its exit status when it runs.
void add_extract_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_generate_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_ui_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_models_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_version_command(CLI::App& app, int& status);
void add_settings_command(CLI::App& app, int& status);
void add_train_commands(CLI::App& app, const GlobalOptions& global, int& status);
void add_swap_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_review_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_run_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_jobs_command(CLI::App& app, const GlobalOptions& global, int& status);
void add_bench_command(CLI::App& app, const GlobalOptions& global, int& status);

}  // namespace wf::app
