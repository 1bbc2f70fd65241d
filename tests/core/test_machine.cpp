#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <vector>

#include "core/machine.h"
#include "core/median.h"
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

TEST(Machine, PeakResidentMemoryRestartsFromWhatIsHeldNow) {
  // Mapped directly so no allocator (ASan's quarantine included) keeps it resident after it is given back.
  constexpr std::size_t kBlock = 256u << 20;
  void* block = mmap(nullptr, kBlock, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(block, MAP_FAILED);
  std::memset(block, 1, kBlock);  // touched, so resident
  const std::uint64_t before = peak_resident_bytes();
  EXPECT_GE(before, kBlock);
  munmap(block, kBlock);
  restart_peak_resident();
  EXPECT_LT(peak_resident_bytes(), before - kBlock / 2);
}

TEST(Median, OddEvenAndEmptySets) {
  std::vector<double> odd{5, 1, 4, 2, 3};
  EXPECT_EQ(median_in_place(odd), 3);
  std::vector<float> even{4, 1, 3, 2};
  EXPECT_FLOAT_EQ(median_in_place(even), 2.5f);
  std::vector<double> empty;
  EXPECT_EQ(median_in_place(empty), 0);
}

TEST(Paths, ExpandsHomeAndFindsExistingAncestor) {
  test::TempDir dir;
  EXPECT_EQ(existing_ancestor(dir / "a/b/c"), dir.path());
  EXPECT_EQ(expand_user("/abs/path"), "/abs/path");
  EXPECT_FALSE(expand_user("~/x").string().starts_with("~"));
}

}  // namespace
}  // namespace wf::core
