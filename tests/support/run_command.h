#pragma once
// Runs a program as a user would and captures what it printed.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace wf::test {

struct CommandResult {
  int status = -1;     // exit status
  std::string output;  // stdout and stderr, interleaved
};

// `environment` entries ("HOME=/tmp/x") replace or extend the child's environment.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& environment = {});

// A program left running (a server); its stdout and stderr go to `log_file`.
class BackgroundCommand {
 public:
  BackgroundCommand(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                    const std::filesystem::path& log_file);
  ~BackgroundCommand();  // kills the program if it still runs
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  void send_signal(int signal) const;
  int wait();  // exit status, as CommandResult::status

 private:
  pid_t pid_ = -1;
};

}  // namespace wf::test
