#include "core/file_checksum.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <vector>

#include "core/error.h"

namespace wf::core {

std::uint32_t file_crc32(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw error_from_errno(errno, "cannot read", path);
  std::vector<unsigned char> block(1 << 20);
  uLong crc = crc32(0L, Z_NULL, 0);
  for (;;) {
    const ssize_t got = ::read(fd, block.data(), block.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      ::close(fd);
      throw error_from_errno(err, "cannot read", path);
    }
    if (got == 0) break;
    crc = crc32(crc, block.data(), static_cast<uInt>(got));
  }
  ::close(fd);
  return static_cast<std::uint32_t>(crc);
}

}  // namespace wf::core
