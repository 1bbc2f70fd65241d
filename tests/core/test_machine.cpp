#include <gtest/gtest.h>

#include "core/machine.h"
#include "core/paths.h"
#include "support/temp_dir.h"

namespace wf::core {
namespace {

TEST(Machine, ReportsCoresMemoryAndDisk) {
  const MachineInfo info = read_machine_info();
  EXPECT_GE(info.cores, 1);
  EXPECT_GT(info.total_memory, 256ull << 20);
  EXPECT_LE(info.available_memory, info.total_memory);
  test::TempDir dir;
  EXPECT_GT(free_disk_bytes(dir / "not/yet/created"), 0u);  // asks the closest existing folder
}

TEST(Machine, FormatsSizesForPeople) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3ull << 30), "3.0 GiB");
}

TEST(Paths, ExpandsHomeAndFindsExistingAncestor) {
  test::TempDir dir;
  EXPECT_EQ(existing_ancestor(dir / "a/b/c"), dir.path());
  EXPECT_EQ(expand_user("/abs/path"), "/abs/path");
  EXPECT_FALSE(expand_user("~/x").string().starts_with("~"));
}

}  // namespace
}  // namespace wf::core
