#pragma once
// Child processes (ffmpeg, ffprobe) started from an argument vector with posix_spawnp — never through a shell,
// so no file name is ever parsed as a command.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace wf::core {

struct ProcessResult {
  int status = -1;     // exit status; 127 when the program is not installed
  std::string output;  // what it printed on stdout
  std::string errors;  // and on stderr
};

// Runs `argv` (argv[0] looked up on PATH) to the end with stdin closed. Throws wf::Error(internal) only when the
// system cannot start processes at all.
ProcessResult run_process(const std::vector<std::string>& argv);

// A child that reads what we write to its stdin (an encoder); its output is kept for the error message.
class ProcessPipe {
 public:
  explicit ProcessPipe(const std::vector<std::string>& argv);
  ~ProcessPipe();  // kills the child if finish() was not called
  ProcessPipe(const ProcessPipe&) = delete;
  ProcessPipe& operator=(const ProcessPipe&) = delete;

  // false when the child has stopped reading (it exited: finish() tells why).
  bool write(const void* data, std::size_t size);
  // Closes stdin and waits: the exit status and what the child printed.
  ProcessResult finish();

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1, stderr_ = -1;
};

}  // namespace wf::core
