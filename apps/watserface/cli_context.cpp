#include "cli_context.h"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "core/paths.h"
#include "media/image_io.h"
#include "models/registry.h"

namespace wf::app {

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("--config", options.config_file, "settings file (default: " + core::default_config_file().string() + ")");
  app.add_option("--log-level", options.log_level, "debug, info, warn, error or off");
  app.add_option("--models-dir", options.models_dir, "folder with the model files you provide");
  app.add_option("--workspace", options.workspace_dir, "folder with projects and the job database");
  app.add_option("--device", options.device, "auto, cpu or cuda");
  app.add_option("--threads", options.threads, "CPU threads for libtorch (0: one per core)");
}

core::AppConfig resolve_config(const GlobalOptions& options) {
  core::AppConfig config = core::AppConfig::defaults();
  if (!options.config_file.empty()) {
    config = core::AppConfig::load(core::expand_user(options.config_file));
  } else if (std::filesystem::exists(core::default_config_file())) {
    config = core::AppConfig::load(core::default_config_file());
  }
  if (!options.log_level.empty()) config.log_level = log::parse_level(options.log_level);
  if (!options.models_dir.empty()) config.models_dir = core::expand_user(options.models_dir);
  if (!options.workspace_dir.empty()) config.workspace_dir = core::expand_user(options.workspace_dir);
  if (!options.device.empty()) config.device = core::parse_device_kind(options.device);
  if (options.threads) config.threads = *options.threads;
  config.validate();
  log::set_level(config.log_level);
  media::set_max_image_megapixels(config.max_image_megapixels);
  return config;
}

std::filesystem::path base_diffusion_path(const core::AppConfig& config, const std::string& flag) {
  return models::base_diffusion_path(config, flag);
}

}  // namespace wf::app
