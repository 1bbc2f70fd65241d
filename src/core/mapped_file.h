#pragma once
// A read-only memory map of a whole file (RAII). Zero-length files map to an empty span.

#include <cstddef>
#include <filesystem>
#include <span>

namespace wf::core {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);  // throws wf::Error naming the file
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void release() noexcept;
  std::filesystem::path path_;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace wf::core
