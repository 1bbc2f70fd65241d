#include <gtest/gtest.h>

#include "models/registry.h"
#include "isolated_config.h"
#include "support/temp_dir.h"

namespace wf::models {
namespace {

const BackendStatus& backend(const std::vector<RoleStatus>& roles, const std::string& role, const std::string& id) {
  for (const auto& status : roles) {
    if (status.spec->id != role) continue;
    for (const auto& b : status.backends) {
      if (b.spec->id == id) return b;
    }
  }
  throw std::runtime_error("no backend " + role + "/" + id);
}

TEST(Registry, CoversEveryRoleOfTheDesign) {
  std::vector<std::string> ids;
  for (const auto& role : model_roles()) ids.push_back(role.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"face_detector", "landmarks_68", "landmarks_478", "face_embedder",
                                           "occlusion_mask", "base_diffusion", "identity_adapter", "face_swapper"}));
}

TEST(Registry, EmptyFoldersLeaveOnlyBuiltInBackends) {
  test::TempDir dir;
  const auto roles = check_models(test::isolated_config(dir));
  for (const auto& role : roles) {
    for (const auto& b : role.backends) {
      EXPECT_EQ(b.available, b.spec->source == Source::built_in) << role.spec->id << "/" << b.spec->id;
      EXPECT_EQ(b.missing.size(), b.spec->files.size());
    }
  }
}

TEST(Registry, UserFilesAreFoundByAnyAlternativeName) {
  test::TempDir dir;
  test::write_text(dir / "models/face_embedder/glintr100.onnx", "onnx");
  test::write_text(dir / "models/base_diffusion/my-sd15.safetensors", "weights");
  const auto roles = check_models(test::isolated_config(dir));
  const auto& arcface = backend(roles, "face_embedder", "arcface");
  EXPECT_TRUE(arcface.available);
  EXPECT_EQ(arcface.found.at(0), dir / "models/face_embedder/glintr100.onnx");
  EXPECT_TRUE(backend(roles, "base_diffusion", "sd15_single_file").available);
  EXPECT_FALSE(backend(roles, "base_diffusion", "sd15_diffusers").available);
}

TEST(Registry, PartialBackendIsNotAvailableAndNamesTheMissingPart) {
  test::TempDir dir;
  test::write_text(dir / "models/identity_adapter/instantid/ControlNetModel/config.json", "{}");
  const auto roles = check_models(test::isolated_config(dir));
  const auto& instantid = backend(roles, "identity_adapter", "instantid");
  EXPECT_FALSE(instantid.available);
  ASSERT_EQ(instantid.missing.size(), 2u);
  EXPECT_EQ(instantid.missing[1], dir / "models/identity_adapter/instantid/ip-adapter.safetensors");
}

// The packages scripts/setup installs hold every file the embedded backends expect.
TEST(InstalledAssets, EveryPackagedBackendIsPresent) {
  core::AppConfig config = core::AppConfig::defaults();
  ASSERT_TRUE(std::filesystem::is_directory(config.assets_dir)) << "run scripts/setup: " << config.assets_dir;
  for (const auto& role : check_models(config)) {
    for (const auto& b : role.backends) {
      if (b.spec->source != Source::package) continue;
      EXPECT_TRUE(b.available) << role.spec->id << "/" << b.spec->id << " lacks "
                               << (b.missing.empty() ? "" : b.missing[0].string());
    }
    if (role.spec->has_default) {
      EXPECT_TRUE(role.ready()) << role.spec->id;
    }
  }
}

}  // namespace
}  // namespace wf::models
