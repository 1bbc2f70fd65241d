#pragma once
// The real photos of DESIGN.md §6, installed by scripts/setup (never committed).

#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"

namespace wf::test {

struct Photo {
  std::string name;
  std::filesystem::path path;
  int faces;  // people in the photo, counted by looking at it
};

inline std::vector<Photo> face_photos() {
  const auto demo = core::AppConfig::defaults().assets_dir / "@vladmandic/face-api/demo";
  return {{"sample1", demo / "sample1.jpg", 3},
          {"sample2", demo / "sample2.jpg", 3},
          {"sample3", demo / "sample3.jpg", 3},
          {"astronaut", "/usr/lib/python3/dist-packages/skimage/data/astronaut.png", 1},
          {"grace_hopper", "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg", 1}};
}

}  // namespace wf::test
