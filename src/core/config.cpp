#include "core/config.h"

#include <nlohmann/json.hpp>

#include "core/enum_names.h"
#include "core/error.h"
#include "core/json_io.h"
#include "core/paths.h"
#include "wf/build_info.h"

namespace wf::core {

namespace {
constexpr std::array<EnumName<DeviceKind>, 3> kDeviceNames{
    {{DeviceKind::automatic, "auto"}, {DeviceKind::cpu, "cpu"}, {DeviceKind::cuda, "cuda"}}};
constexpr std::array<EnumName<Precision>, 4> kPrecisionNames{{{Precision::automatic, "auto"},
                                                               {Precision::fp32, "fp32"},
                                                               {Precision::bf16, "bf16"},
                                                               {Precision::fp16, "fp16"}}};
}  // namespace

std::string_view to_string(DeviceKind kind) { return enum_to_string(kDeviceNames, kind); }
DeviceKind parse_device_kind(std::string_view text) { return parse_enum(kDeviceNames, text, "device"); }
std::string_view to_string(Precision precision) { return enum_to_string(kPrecisionNames, precision); }
Precision parse_precision(std::string_view text) { return parse_enum(kPrecisionNames, text, "precision"); }

AppConfig AppConfig::defaults() {
  AppConfig config;
  config.workspace_dir = data_home() / "workspace";
  config.models_dir = data_home() / "models";
  config.assets_dir = build::assets_dir;
  config.web_root = build::web_root;
  return config;
}

std::filesystem::path default_config_file() { return config_home() / "config.json"; }

namespace {

template <typename T>
T field(const nlohmann::json& value, const std::string& key, const std::filesystem::path& source, const char* kind) {
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorCode::invalid_input, "setting '" + key + "' must be " + kind + ", not " + value.dump(), source,
                "fix that key in the settings file or remove it to use the default");
  }
}

// Enum settings re-throw the parser's hint, with the file and key added.
template <typename Parse>
auto enum_field(const nlohmann::json& value, const std::string& key, const std::filesystem::path& source, Parse parse) {
  const auto text = field<std::string>(value, key, source, "a string");
  try {
    return parse(text);
  } catch (const Error& e) {
    throw Error(ErrorCode::invalid_input, "setting '" + key + "': " + e.message(), source, e.hint());
  }
}

}  // namespace

void AppConfig::apply(const nlohmann::json& values, const std::filesystem::path& source) {
  if (!values.is_object()) {
    throw Error(ErrorCode::invalid_input, "settings must be a JSON object", source, "write the file as {\"key\": value}");
  }
  for (const auto& item : values.items()) {
    const std::string& key = item.key();  // named, not bound: lambdas capture them (clang 14 cannot capture bindings)
    const nlohmann::json& value = item.value();
    auto path_of = [&] { return expand_user(field<std::string>(value, key, source, "a path string")); };
    if (key == "workspace_dir") workspace_dir = path_of();
    else if (key == "models_dir") models_dir = path_of();
    else if (key == "assets_dir") assets_dir = path_of();
    else if (key == "dlib_data_dir") dlib_data_dir = path_of();
    else if (key == "web_root") web_root = path_of();
    else if (key == "host") host = field<std::string>(value, key, source, "a string");
    else if (key == "port") port = field<int>(value, key, source, "an integer");
    else if (key == "max_upload_mb") max_upload_mb = field<int>(value, key, source, "an integer");
    else if (key == "max_image_megapixels") max_image_megapixels = field<int>(value, key, source, "an integer");
    else if (key == "threads") threads = field<int>(value, key, source, "an integer");
    else if (key == "device") device = enum_field(value, key, source, parse_device_kind);
    else if (key == "precision") precision = enum_field(value, key, source, parse_precision);
    else if (key == "log_level") log_level = enum_field(value, key, source, log::parse_level);
    else log::warn("core.config", "{}: unknown setting '{}' is ignored", source.string(), key);
  }
  validate(source);
}

AppConfig AppConfig::load(const std::filesystem::path& file) {
  AppConfig config = defaults();
  config.apply(read_json_file(file), file);
  return config;
}

void AppConfig::validate(const std::filesystem::path& source) const {
  auto fail = [&](const std::string& message, const std::string& hint) {
    throw Error(ErrorCode::invalid_input, message, source, hint);
  };
  if (port < 0 || port > 65535) fail("port " + std::to_string(port) + " is out of range", "use a port from 1 to 65535 (0: any free port)");
  if (max_upload_mb < 1) fail("max_upload_mb " + std::to_string(max_upload_mb) + " is below 1", "use a size in MiB, e.g. 4096");
  if (max_image_megapixels < 1) {
    fail("max_image_megapixels " + std::to_string(max_image_megapixels) + " is below 1",
         "use a number of millions of pixels, e.g. 100");
  }
  if (threads < 0 || threads > 1024) fail("threads " + std::to_string(threads) + " is out of range", "use 0 (one per core) up to 1024");
  if (host.empty()) fail("host is empty", "use 127.0.0.1 to serve this machine only");
  if (workspace_dir.empty() || models_dir.empty()) fail("workspace_dir and models_dir must be set", "give absolute paths");
}

nlohmann::json AppConfig::to_json() const {
  return {{"workspace_dir", workspace_dir.string()},
          {"models_dir", models_dir.string()},
          {"assets_dir", assets_dir.string()},
          {"dlib_data_dir", dlib_data_dir.string()},
          {"web_root", web_root.string()},
          {"host", host},
          {"port", port},
          {"max_upload_mb", max_upload_mb},
          {"max_image_megapixels", max_image_megapixels},
          {"threads", threads},
          {"device", std::string(to_string(device))},
          {"precision", std::string(to_string(precision))},
          {"log_level", std::string(log::to_string(log_level))}};
}

}  // namespace wf::core
