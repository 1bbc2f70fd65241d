#include "core/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

extern char** environ;

namespace wf::core {
namespace {

struct Spawned {
  pid_t pid = -1;
  int stdin_fd = -1;  // write end of the child's stdin, or -1 (stdin is /dev/null)
  int output_fd = -1; // a temporary file holding stdout and stderr
};

Spawned spawn(const std::vector<std::string>& argv, bool with_stdin) {
  Spawned out;
  char output_template[] = "/tmp/watserface-child-XXXXXX";
  out.output_fd = ::mkstemp(output_template);
  if (out.output_fd < 0) throw Error(ErrorCode::internal, std::string("cannot create a temporary file: ") + std::strerror(errno));
  ::unlink(output_template);
  int pipe_fds[2] = {-1, -1};
  if (with_stdin && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (with_stdin) posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], 0);
  else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.output_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out.output_fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int failed = ::posix_spawnp(&out.pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (with_stdin) ::close(pipe_fds[0]);
  if (failed != 0) {
    if (with_stdin) ::close(pipe_fds[1]);
    out.pid = -1;  // not installed (ENOENT) or not runnable: reported as status 127 by the callers
    return out;
  }
  out.stdin_fd = with_stdin ? pipe_fds[1] : -1;
  return out;
}

ProcessResult collect(pid_t pid, int output_fd) {
  ProcessResult result;
  int status = 0;
  if (pid > 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    result.status = 127;
    result.output = "not installed";
  }
  if (output_fd >= 0) {
    ::lseek(output_fd, 0, SEEK_SET);
    char buffer[4096];
    for (ssize_t n; (n = ::read(output_fd, buffer, sizeof buffer)) > 0;) result.output.append(buffer, static_cast<std::size_t>(n));
    ::close(output_fd);
  }
  return result;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv) {
  const Spawned child = spawn(argv, false);
  return collect(child.pid, child.output_fd);
}

ProcessPipe::ProcessPipe(const std::vector<std::string>& argv) {
  const Spawned child = spawn(argv, true);
  pid_ = child.pid;
  stdin_ = child.stdin_fd;
  output_ = child.output_fd;
}

ProcessPipe::~ProcessPipe() {
  if (stdin_ >= 0) ::close(stdin_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (output_ >= 0) ::close(output_);
}

bool ProcessPipe::write(const void* data, std::size_t size) {
  if (stdin_ < 0) return false;
  const auto* bytes = static_cast<const char*>(data);
  // A child that exits closes the pipe: the write fails with EPIPE instead of killing us with SIGPIPE.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  bool ok = true;
  while (size > 0) {
    const ssize_t n = ::write(stdin_, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  return ok;
}

ProcessResult ProcessPipe::finish() {
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
  const ProcessResult result = collect(pid_, output_);
  pid_ = -1;
  output_ = -1;
  return result;
}

}  // namespace wf::core
