#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>

#include "core/atomic_file.h"
#include "core/error.h"
#include "support/temp_dir.h"

namespace wf::core {
namespace {

std::size_t files_in(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(AtomicFile, ReplacesContentsAndLeavesNoTemporaryFile) {
  test::TempDir dir;
  const auto path = dir / "nested/folder/settings.json";
  write_file_atomic(path, "first");
  write_file_atomic(path, "second, longer");
  EXPECT_EQ(test::read_text(path), "second, longer");
  EXPECT_EQ(files_in(path.parent_path()), 1u);
}

TEST(AtomicFile, AbandonedWriteKeepsThePreviousFile) {
  test::TempDir dir;
  const auto path = dir / "model.safetensors";
  write_file_atomic(path, "the checkpoint we must not lose");
  {
    AtomicFile file(path);
    file.write("half of a new check");
    // No commit: a crash or an exception between write and commit.
  }
  EXPECT_EQ(test::read_text(path), "the checkpoint we must not lose");
  EXPECT_EQ(files_in(dir.path()), 1u);
}

// A file-size limit makes write() fail part-way, as a full disk does; the old file must survive and the
// error must say disk_full and name the file.
TEST(AtomicFile, DiskFullMidWriteKeepsThePreviousFile) {
  test::TempDir dir;
  const auto path = dir / "checkpoint.safetensors";
  write_file_atomic(path, "previous checkpoint");

  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  ::getrlimit(RLIMIT_FSIZE, &old_limit);
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  bool threw = false;
  try {
    AtomicFile file(path);
    file.write(std::string(64 * 1024, 'x'));
    file.commit();
  } catch (const Error& e) {
    threw = true;
    EXPECT_EQ(e.code(), ErrorCode::disk_full) << e.what();
    EXPECT_EQ(e.path(), path);
    EXPECT_FALSE(e.hint().empty());
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_TRUE(threw);
  EXPECT_EQ(test::read_text(path), "previous checkpoint");
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(AtomicFile, UnwritableFolderNamesTheFile) {
  try {
    write_file_atomic("/proc/watserface-cannot-write-here/file.json", "x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), std::filesystem::path("/proc/watserface-cannot-write-here/file.json"));
  }
}

}  // namespace
}  // namespace wf::core
