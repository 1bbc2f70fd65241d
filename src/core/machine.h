#pragma once
// What the machine offers: cores, memory, free disk. Read from the OS, no libtorch.

#include <cstdint>
#include <filesystem>
#include <string>

namespace wf::core {

struct MachineInfo {
  int cores = 1;                       // cores this process may run on (affinity mask)
  std::uint64_t total_memory = 0;      // bytes
  std::uint64_t available_memory = 0;  // bytes the kernel says can be had without swapping
  std::string cpu_model;
};

MachineInfo read_machine_info();

// Bytes free for an unprivileged user on the file system holding `path` (or its closest existing ancestor).
std::uint64_t free_disk_bytes(const std::filesystem::path& path);

// The most memory this process has held resident (Linux VmHWM) since it started or since the last
// restart_peak_resident(), in bytes.
std::uint64_t peak_resident_bytes();
void restart_peak_resident();

// "1.5 GiB", "830 MiB": sizes for people.
std::string format_bytes(std::uint64_t bytes);

}  // namespace wf::core
