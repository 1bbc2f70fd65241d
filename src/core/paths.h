#pragma once
// Per-user locations (XDG base directories) and small path helpers.

#include <filesystem>

namespace wf::core {

// $XDG_DATA_HOME/watserface, else ~/.local/share/watserface.
std::filesystem::path data_home();
// $XDG_CONFIG_HOME/watserface, else ~/.config/watserface.
std::filesystem::path config_home();
// A leading "~/" becomes the home directory.
std::filesystem::path expand_user(const std::filesystem::path& path);
// The closest ancestor of `path` (or itself) that exists; used to ask about free space before creating folders.
std::filesystem::path existing_ancestor(const std::filesystem::path& path);
// One file however each path spells it ("./a/../a/x.mp4", a symbolic or a hard link); either may not exist yet.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace wf::core
