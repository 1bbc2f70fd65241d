#pragma once
// The model registry: each role of DESIGN.md §3, its backends, and the files each backend needs.
// Embedded backends come from Debian and npm packages the setup installs; stronger ones are files
// the user places under the models folder. Nothing here downloads anything.

#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"

namespace wf::models {

enum class Source { built_in, package, user };
std::string_view to_string(Source source);

// Where a backend's relative file names are looked up.
enum class Root { assets, dlib_data, models };

struct FileSpec {
  std::vector<std::string> alternatives;  // any one satisfies it; a name may end in "/*.ext"
};

struct BackendSpec {
  std::string id;
  std::string title;
  Source source;
  Root root;
  std::vector<FileSpec> files;  // all needed; empty for built-in code
  std::string origin;           // the package, or where a user gets the file
};

struct RoleSpec {
  std::string id;  // also the sub-folder of the models folder for user files
  std::string title;
  std::string needed_for;
  bool has_default;  // an embedded backend is expected to be present after setup
  std::vector<BackendSpec> backends;
};

const std::vector<RoleSpec>& model_roles();

struct BackendStatus {
  const BackendSpec* spec = nullptr;
  bool available = false;
  std::vector<std::filesystem::path> found;    // the file chosen for each FileSpec
  std::vector<std::filesystem::path> missing;  // where the first alternative of each missing FileSpec goes
};

struct RoleStatus {
  const RoleSpec* spec = nullptr;
  std::vector<BackendStatus> backends;
  bool ready() const;
};

std::filesystem::path root_path(Root root, const core::AppConfig& config);
std::vector<RoleStatus> check_models(const core::AppConfig& config);

// How to install a role that is not ready, in one sentence: where its first file goes and where it comes from
// ("run scripts/setup" for packages).
std::string install_hint(const RoleStatus& role);

// The first file found for `role` (the first available backend's), or where the first file of its first backend
// goes when none is installed, so a reader's missing_model error names the place.
std::filesystem::path role_file(const core::AppConfig& config, const std::string& role);

// `flag` when given, else the Stable Diffusion 1.5 found under the models folder (a diffusers folder or one
// .safetensors file); none there throws wf::Error(missing_model) naming where it goes.
std::filesystem::path base_diffusion_path(const core::AppConfig& config, const std::string& flag = {});

}  // namespace wf::models
