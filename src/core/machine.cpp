#include "core/machine.h"

#include <sched.h>
#include <sys/statvfs.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/paths.h"

namespace wf::core {
namespace {

std::uint64_t meminfo_kib(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::uint64_t value = 0;
  std::string unit;
  while (in >> name >> value >> unit) {
    if (name == key + ":") return value;
  }
  return 0;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

}  // namespace

MachineInfo read_machine_info() {
  MachineInfo info;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    info.cores = CPU_COUNT(&set);
  } else {
    info.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  info.total_memory = meminfo_kib("MemTotal") * 1024;
  info.available_memory = meminfo_kib("MemAvailable") * 1024;
  info.cpu_model = cpu_model_name();
  return info;
}

std::uint64_t free_disk_bytes(const std::filesystem::path& path) {
  struct statvfs stats {};
  if (::statvfs(existing_ancestor(path).c_str(), &stats) != 0) return 0;
  return static_cast<std::uint64_t>(stats.f_bavail) * stats.f_frsize;
}

std::uint64_t peak_resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

// Writing 5 to clear_refs resets VmHWM to what is resident now.
void restart_peak_resident() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

std::string format_bytes(std::uint64_t bytes) {
  constexpr std::array<const char*, 5> units{"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < units.size()) {
    value /= 1024.0;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text.data();
}

}  // namespace wf::core
