#pragma once
// The application settings: where things live, how the server listens, which device computes.
// Defaults, then an optional JSON file (~/.config/watserface/config.json), then CLI flags.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/log.h"

namespace wf::core {

enum class DeviceKind { automatic, cpu, cuda };
enum class Precision { automatic, fp32, bf16, fp16 };

std::string_view to_string(DeviceKind kind);
DeviceKind parse_device_kind(std::string_view text);  // "auto" | "cpu" | "cuda"
std::string_view to_string(Precision precision);
Precision parse_precision(std::string_view text);     // "auto" | "fp32" | "bf16" | "fp16"

struct AppConfig {
  std::filesystem::path workspace_dir;  // projects and the job database
  std::filesystem::path models_dir;     // models the user provides (DESIGN.md §3)
  std::filesystem::path assets_dir;     // npm packages with the embedded face models
  std::filesystem::path dlib_data_dir = "/usr/share/dlib";
  std::filesystem::path web_root;       // the browser app served by `watserface ui`
  std::string host = "127.0.0.1";
  int port = 7860;
  int max_upload_mb = 4096;  // the largest file the browser app takes
  int max_image_megapixels = 100;  // larger photos are refused before they are decoded
  int threads = 0;  // 0: one per core
  DeviceKind device = DeviceKind::automatic;
  Precision precision = Precision::automatic;
  log::Level log_level = log::Level::info;

  static AppConfig defaults();
  // Defaults overlaid with the keys of a JSON file; unknown keys are warned about, wrong types and
  // out-of-range values throw wf::Error(invalid_input) naming the file and the key.
  static AppConfig load(const std::filesystem::path& file);
  void apply(const nlohmann::json& values, const std::filesystem::path& source);
  void validate(const std::filesystem::path& source = {}) const;
  nlohmann::json to_json() const;
};

std::filesystem::path default_config_file();

}  // namespace wf::core
