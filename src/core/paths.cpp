#include "core/paths.h"

#include <cstdlib>

namespace wf::core {
namespace {

std::filesystem::path home() {
  const char* value = std::getenv("HOME");
  return value && *value ? std::filesystem::path(value) : std::filesystem::path("/");
}

std::filesystem::path xdg(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  if (value && *value && std::filesystem::path(value).is_absolute()) return std::filesystem::path(value) / "watserface";
  return home() / fallback / "watserface";
}

}  // namespace

std::filesystem::path data_home() { return xdg("XDG_DATA_HOME", ".local/share"); }

std::filesystem::path config_home() { return xdg("XDG_CONFIG_HOME", ".config"); }

std::filesystem::path expand_user(const std::filesystem::path& path) {
  const std::string text = path.string();
  if (text == "~") return home();
  if (text.rfind("~/", 0) == 0) return home() / text.substr(2);
  return path;
}

std::filesystem::path existing_ancestor(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path current = std::filesystem::absolute(path, ec);
  if (ec) current = path;
  while (!current.empty() && !std::filesystem::exists(current, ec)) {
    if (current == current.parent_path()) break;
    current = current.parent_path();
  }
  return current;
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  if (std::filesystem::equivalent(a, b, ec)) return true;
  std::error_code ec_b;
  const std::filesystem::path resolved_a = std::filesystem::weakly_canonical(a, ec);
  const std::filesystem::path resolved_b = std::filesystem::weakly_canonical(b, ec_b);
  return !ec && !ec_b && resolved_a == resolved_b;
}

}  // namespace wf::core
