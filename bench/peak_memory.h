#pragma once
// The process's peak resident memory so far (Linux VmHWM), for benchmarks that report memory.

#include <fstream>
#include <string>

namespace wf::bench {

inline double peak_resident_gib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / (1024.0 * 1024.0);  // kB
  }
  return 0;
}

}  // namespace wf::bench
