#include "core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "core/enum_names.h"

namespace wf::log {
namespace {

constexpr std::array<core::EnumName<Level>, 5> kLevelNames{{{Level::debug, "debug"},
                                                            {Level::info, "info"},
                                                            {Level::warn, "warn"},
                                                            {Level::error, "error"},
                                                            {Level::off, "off"}}};

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::mutex& logger_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::shared_ptr<spdlog::logger>& logger_slot() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto made = std::make_shared<spdlog::logger>("watserface", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    made->set_pattern("%H:%M:%S.%e %^%l%$ %v");
    made->set_level(spdlog::level::info);
    return made;
  }();
  return logger;
}

}  // namespace

Level parse_level(std::string_view text) {
  if (text == "warning") return Level::warn;
  return core::parse_enum(kLevelNames, text, "log level");
}

std::string_view to_string(Level level) { return core::enum_to_string(kLevelNames, level); }

void init(Level level, const std::filesystem::path& file) {
  std::lock_guard lock(logger_mutex());
  auto& logger = logger_slot();
  if (!file.empty()) logger->sinks().push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string()));
  logger->set_level(to_spdlog(level));
}

void set_level(Level level) {
  std::lock_guard lock(logger_mutex());
  logger_slot()->set_level(to_spdlog(level));
}

void write(Level level, std::string_view tag, std::string_view message) {
  auto& logger = logger_slot();
  logger->log(to_spdlog(level), "[{}] {}", tag, message);
}

}  // namespace wf::log
