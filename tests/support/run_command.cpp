#include "support/run_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string_view>

extern char** environ;

namespace wf::test {

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> env_strings;
  auto overridden = [&](std::string_view entry) {
    const auto key = entry.substr(0, entry.find('=') + 1);
    for (const auto& added : environment) {
      if (added.starts_with(key)) return true;
    }
    return false;
  };
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

  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, arg_ptrs[0], &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  CommandResult result;
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    result.output = std::string("cannot start ") + argv[0] + ": " + std::strerror(spawned);
    return result;
  }
  std::array<char, 4096> buffer{};
  ssize_t count = 0;
  while ((count = ::read(pipe_fds[0], buffer.data(), buffer.size())) > 0) result.output.append(buffer.data(), count);
  ::close(pipe_fds[0]);
  int wait_status = 0;
  ::waitpid(pid, &wait_status, 0);
  result.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  return result;
}

}  // namespace wf::test
