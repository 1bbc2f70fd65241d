#include "support/run_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace wf::test {
namespace {

// Starts argv[0] with stdout and stderr on `out_fd` and stdin from /dev/null.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& environment, int out_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

  auto overridden = [&](std::string_view entry) {
    const auto key = entry.substr(0, entry.find('=') + 1);
    for (const auto& added : environment) {
      if (added.starts_with(key)) return true;
    }
    return false;
  };
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry; ++entry) {
    if (!overridden(*entry)) env_strings.emplace_back(*entry);
  }
  for (const auto& entry : environment) env_strings.push_back(entry);
  std::vector<char*> env_ptrs;
  for (auto& entry : env_strings) env_ptrs.push_back(entry.data());
  env_ptrs.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_ptrs;
  for (auto& arg : args) arg_ptrs.push_back(arg.data());
  arg_ptrs.push_back(nullptr);

  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, arg_ptrs[0], &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(spawned));
  return pid;
}

int wait_for(pid_t pid) {
  int wait_status = 0;
  ::waitpid(pid, &wait_status, 0);
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = -1;
  try {
    pid = spawn(argv, environment, pipe_fds[1]);
  } catch (...) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw;
  }
  ::close(pipe_fds[1]);
  CommandResult result;
  std::array<char, 4096> buffer{};
  ssize_t count = 0;
  while ((count = ::read(pipe_fds[0], buffer.data(), buffer.size())) > 0) result.output.append(buffer.data(), count);
  ::close(pipe_fds[0]);
  result.status = wait_for(pid);
  return result;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                                     const std::filesystem::path& log_file) {
  const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + log_file.string());
  try {
    pid_ = spawn(argv, environment, fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_);
  }
}

void BackgroundCommand::send_signal(int signal) const { ::kill(pid_, signal); }

int BackgroundCommand::wait() {
  const int status = wait_for(pid_);
  pid_ = -1;
  return status;
}

}  // namespace wf::test
