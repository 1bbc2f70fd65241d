#pragma once
// The process's peak resident memory so far in GiB, for benchmarks that report memory.

#include "core/machine.h"

namespace wf::bench {

inline double peak_resident_gib() {
  return static_cast<double>(core::peak_resident_bytes()) / (1024.0 * 1024.0 * 1024.0);
}

}  // namespace wf::bench
