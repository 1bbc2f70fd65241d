#include "core/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "core/error.h"

extern char** environ;

namespace wf::core {
namespace {

// A file the child writes to, gone from the file system at once and closed across exec.
int temporary_file() {
  char name[] = "/tmp/watserface-child-XXXXXX";
  const int fd = ::mkostemp(name, O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::internal, std::string("cannot create a temporary file: ") + std::strerror(errno));
  ::unlink(name);
  return fd;
}

std::string read_all(int fd) {
  std::string text;
  ::lseek(fd, 0, SEEK_SET);
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

struct Spawned {
  pid_t pid = -1;
  int stdin_fd = -1;   // write end of the child's stdin, or -1 (stdin is /dev/null)
  int stdout_fd = -1;  // temporary files holding what it prints
  int stderr_fd = -1;
};

Spawned spawn(const std::vector<std::string>& argv, bool with_stdin) {
  Spawned out;
  out.stdout_fd = temporary_file();
  out.stderr_fd = temporary_file();
  int pipe_fds[2] = {-1, -1};
  if (with_stdin && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::close(out.stdout_fd);
    ::close(out.stderr_fd);
    throw Error(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (with_stdin)
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], 0);
  else
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out.stderr_fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the child cleanly (an encoder
  // killed by the same SIGINT would turn a pause into a failure).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int failed = ::posix_spawnp(&out.pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (with_stdin) ::close(pipe_fds[0]);
  if (failed != 0) {
    if (with_stdin) ::close(pipe_fds[1]);
    out.pid = -1;  // not installed (ENOENT) or not runnable: reported as status 127
    return out;
  }
  out.stdin_fd = with_stdin ? pipe_fds[1] : -1;
  return out;
}

ProcessResult collect(pid_t pid, int stdout_fd, int stderr_fd) {
  ProcessResult result;
  if (pid > 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    result.status = 127;
  }
  if (stdout_fd >= 0) result.output = read_all(stdout_fd);
  if (stderr_fd >= 0) result.errors = read_all(stderr_fd);
  if (pid <= 0) result.errors = "not installed";
  return result;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv) {
  const Spawned child = spawn(argv, false);
  return collect(child.pid, child.stdout_fd, child.stderr_fd);
}

ProcessPipe::ProcessPipe(const std::vector<std::string>& argv) {
  // A child that exits closes its end of the pipe; writing must then fail with EPIPE, not kill this process. The
  // disposition is process-wide, so it is set once (the HTTP server needs the same for closed sockets).
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  const Spawned child = spawn(argv, true);
  pid_ = child.pid;
  stdin_ = child.stdin_fd;
  stdout_ = child.stdout_fd;
  stderr_ = child.stderr_fd;
}

ProcessPipe::~ProcessPipe() {
  if (stdin_ >= 0) ::close(stdin_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (stdout_ >= 0) ::close(stdout_);
  if (stderr_ >= 0) ::close(stderr_);
}

bool ProcessPipe::write(const void* data, std::size_t size) {
  if (stdin_ < 0) return false;
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(stdin_, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

ProcessResult ProcessPipe::finish() {
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
  const ProcessResult result = collect(pid_, stdout_, stderr_);
  pid_ = -1;
  stdout_ = stderr_ = -1;
  return result;
}

}  // namespace wf::core
