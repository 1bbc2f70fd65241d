#include "usage_error.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace wf::app {
namespace {

constexpr std::size_t kLongestWord = 24;

std::string short_word(const std::string& word) {
  const char* begin = word.c_str();
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(begin, &end);
  const bool number = end != begin && *end == '\0' && word.find_first_of("0123456789") != std::string::npos;
  if (number && word.size() > 16) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g", value);  // HUGE_VAL past a double's range prints "inf"
    return errno == ERANGE ? word.substr(0, 12) + "\xE2\x80\xA6 (" + std::to_string(word.size()) + " digits)" : text;
  }
  if (number && word.ends_with(".000000")) return word.substr(0, word.size() - 7);  // std::to_string's "64.000000"
  if (word.size() > kLongestWord) return word.substr(0, kLongestWord) + "\xE2\x80\xA6";
  return word;
}

}  // namespace

std::string short_usage_message(std::string_view what) {
  std::istringstream words{std::string(what)};
  std::string out, word;
  while (words >> word) out += (out.empty() ? "" : " ") + short_word(word);
  return out;
}

int usage_error(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
  std::string command = app.get_name();
  for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
    at = at->get_subcommands().front();
    command += " " + at->get_name();
  }
  std::fprintf(stderr, "error: %s\n  fix:  see %s --help\n", short_usage_message(error.what()).c_str(),
               command.c_str());
  return 2;
}

}  // namespace wf::app
