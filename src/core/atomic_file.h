#pragma once
// Atomic file replacement: write to a temporary file beside the target, fsync it, rename it over the
// target, fsync the directory. Readers see the old file or the new one, never a torn one; a failed
// write (disk full, crash) leaves the old file as it was.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace wf::core {

class AtomicFile {
 public:
  // Creates the parent folders and the temporary file; throws wf::Error naming `target` on failure.
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const std::byte> bytes);
  void write(std::string_view text);
  void commit();

  const std::filesystem::path& target() const { return target_; }
  // The file being written, for a writer that is not this object (a child process, a copy); commit() renames it.
  const std::filesystem::path& temporary() const { return temp_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// mkstemp's (or mkdtemp's) template for a temporary name beside `target`: ".NAME.tmp.XXXXXX" in its folder, NAME
// cut short (at a UTF-8 character boundary) so that the name fits NAME_MAX however long the target's is.
std::filesystem::path temporary_pattern(const std::filesystem::path& target);

void write_file_atomic(const std::filesystem::path& target, std::string_view contents);

// fsync of a folder, so a rename or a new entry in it survives a power loss.
void sync_directory(const std::filesystem::path& directory);

}  // namespace wf::core
