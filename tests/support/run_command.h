#pragma once
// Runs a program as a user would and captures what it printed.

#include <string>
#include <vector>

namespace wf::test {

struct CommandResult {
  int status = -1;     // exit status
  std::string output;  // stdout and stderr, interleaved
};

// `environment` entries ("HOME=/tmp/x") are added to the child's environment.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& environment = {});

}  // namespace wf::test
