#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "core/error.h"

namespace wf::core {

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  const std::filesystem::path directory = target_.has_parent_path() ? target_.parent_path() : ".";
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw error_from_errno(ec.value(), "cannot create the folder for this file", target_);

  std::string pattern = (directory / temporary_pattern(target_).filename()).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  fd_ = ::mkostemp(buffer.data(), O_CLOEXEC);
  if (fd_ < 0) throw error_from_errno(errno, "cannot create a temporary file to write", target_);
  temp_ = buffer.data();
  ::fchmod(fd_, 0644);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::span<const std::byte> bytes) {
  WF_CHECK(fd_ >= 0 && !committed_, "write after commit");
  const std::byte* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw error_from_errno(errno, "cannot write", target_);
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

void AtomicFile::write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }

void AtomicFile::commit() {
  WF_CHECK(fd_ >= 0 && !committed_, "commit twice");
  if (::fsync(fd_) != 0) throw error_from_errno(errno, "cannot flush to disk", target_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw error_from_errno(errno, "cannot close", target_);
  if (::rename(temp_.c_str(), target_.c_str()) != 0) throw error_from_errno(errno, "cannot replace", target_);
  committed_ = true;
  sync_directory(target_.has_parent_path() ? target_.parent_path() : ".");
}

std::filesystem::path temporary_pattern(const std::filesystem::path& target) {
  static constexpr std::string_view kSuffix = ".tmp.XXXXXX";
  std::string name = target.filename().string();
  const std::size_t room = NAME_MAX - 1 - kSuffix.size();  // less the leading '.'
  if (name.size() > room) {
    std::size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    name.resize(cut);
  }
  return target.parent_path() / ("." + name + std::string(kSuffix));
}

void write_file_atomic(const std::filesystem::path& target, std::string_view contents) {
  AtomicFile file(target);
  file.write(contents);
  file.commit();
}

void sync_directory(const std::filesystem::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw error_from_errno(errno, "cannot open folder to flush it", directory);
  const int result = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  // Some file systems (tmpfs in old kernels, network mounts) refuse fsync on folders; the data is already safe.
  if (result != 0 && saved != EINVAL && saved != ENOTSUP) throw error_from_errno(saved, "cannot flush folder", directory);
}

}  // namespace wf::core
