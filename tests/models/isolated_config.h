#pragma once
// Settings that point every model folder into a test's own empty folder.

#include "core/config.h"
#include "support/temp_dir.h"

namespace wf::test {

inline core::AppConfig isolated_config(const TempDir& dir) {
  core::AppConfig config = core::AppConfig::defaults();
  config.assets_dir = dir / "assets";
  config.models_dir = dir / "models";
  config.dlib_data_dir = dir / "dlib";
  config.workspace_dir = dir / "workspace";
  return config;
}

}  // namespace wf::test
