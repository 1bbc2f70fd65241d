#pragma once
// The reference half of a benchmark: a script under bench/ that runs the identical network in Debian's
// python3-torch, or a tfjs model in TensorFlow.js under node, and prints `median_s=<seconds>` (the median of its
// timed runs).

#include <array>
#include <cstdio>
#include <memory>
#include <string>

namespace wf::bench {

// Runs `interpreter bench/<script> <arguments>`; 0 when it printed no median (python3-torch or node missing).
inline double reference_median_seconds(const std::string& interpreter, const std::string& script,
                                       const std::string& arguments) {
  const std::string command = interpreter + " " WF_BENCH_DIR "/" + script + " " + arguments;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return 0;
  std::array<char, 256> line{};
  double seconds = 0;
  while (fgets(line.data(), line.size(), pipe.get())) std::sscanf(line.data(), "median_s=%lf", &seconds);
  return seconds;
}

inline double python_median_seconds(const std::string& script, const std::string& arguments) {
  return reference_median_seconds("/usr/bin/python3", script, arguments);
}

}  // namespace wf::bench
