#include "core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "core/error.h"

namespace wf::log {
namespace {

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
  if (text == "debug") return Level::debug;
  if (text == "info") return Level::info;
  if (text == "warn" || text == "warning") return Level::warn;
  if (text == "error") return Level::error;
  if (text == "off") return Level::off;
  throw Error(ErrorCode::invalid_input, "unknown log level '" + std::string(text) + "'", {},
              "use one of: debug, info, warn, error, off");
}

std::string_view to_string(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "info";
}

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
