#pragma once
// Logging for library code: one spdlog logger, a short layer tag per line ("[core.safetensors]").
// Library code never prints to stdout; the CLI owns stdout for its own output and progress.

#include <fmt/format.h>

#include <filesystem>
#include <string_view>

namespace wf::log {

enum class Level { debug, info, warn, error, off };

Level parse_level(std::string_view text);  // throws wf::Error(invalid_input) for an unknown name
std::string_view to_string(Level level);

// Sets the level of the stderr sink and, when given, adds a log file.
void init(Level level, const std::filesystem::path& file = {});
void set_level(Level level);

void write(Level level, std::string_view tag, std::string_view message);

template <typename... Args>
void debug(std::string_view tag, fmt::format_string<Args...> format, Args&&... args) {
  write(Level::debug, tag, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(std::string_view tag, fmt::format_string<Args...> format, Args&&... args) {
  write(Level::info, tag, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(std::string_view tag, fmt::format_string<Args...> format, Args&&... args) {
  write(Level::warn, tag, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(std::string_view tag, fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, tag, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace wf::log
