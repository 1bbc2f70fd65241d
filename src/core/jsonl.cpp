#include "core/jsonl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "core/error.h"

namespace wf::core {

CompleteLines read_complete_lines(const std::filesystem::path& path) {
  CompleteLines result;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it: torn or still being written
    result.length += line.size() + 1;
    result.lines.push_back(std::move(line));
  }
  return result;
}

bool ends_mid_line(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0 || info.st_size == 0) return false;
  char last = '\n';
  return ::pread(fd, &last, 1, info.st_size - 1) == 1 && last != '\n';
}

void append_line_durably(const std::filesystem::path& path, std::string_view line) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw error_from_errno(errno, "cannot open to append", path);
  std::string text = ends_mid_line(fd) ? "\n" : "";
  text += line;
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int saved = errno;
  const bool synced = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw error_from_errno(written < 0 ? saved : ENOSPC, "cannot append to", path);
}

}  // namespace wf::core
