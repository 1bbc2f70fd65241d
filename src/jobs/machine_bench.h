#pragma once
// `watserface bench`: how fast this machine runs the work a user waits on, each measured as the median of a few
// timed runs after a warm-up, with the peak resident memory of each. Networks get random weights (speed does not
// depend on the values), so no model download is needed; face analysis uses the offline engine's models.

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/device.h"
#include "core/machine.h"

namespace wf::jobs {

struct MachineBenchOptions {
  std::vector<std::string> only;  // names from machine_bench_names(); empty: all of them
  int runs = 5;                   // timed runs of each; the median is reported
  int xseg_size = 256;            // XSeg crop size (training batch 8, inference batch 1)
  std::filesystem::path image;    // the frame for face analysis; empty: the offline engine's sample photo
};

struct MachineBenchResult {
  std::string name;
  double rate = 0;   // items per second
  std::string unit;  // what `rate` counts, e.g. "faces/s"
  double median_s = 0;
  int runs = 0;
  std::uint64_t peak_rss = 0;  // bytes resident at most while it ran (what earlier ones left held included)
};

struct MachineBenchReport {
  nlohmann::json machine() const;  // CPU, cores, threads, libtorch, device and precision
  nlohmann::json to_json() const;
  std::string to_text() const;

  core::MachineInfo host;
  core::TorchInfo torch;
  core::ComputeChoice compute;
  std::vector<MachineBenchResult> results;
};

// faces, xseg_train, xseg_infer, unet_tiny, unet_sd15 (the full-size UNet, about 4 GB of RAM in fp32).
const std::vector<std::string>& machine_bench_names();

// Unknown names throw wf::Error(invalid_input) listing the known ones; a frame without a face throws naming it.
MachineBenchReport run_machine_bench(const core::AppConfig& config, const MachineBenchOptions& options,
                                     const std::function<void(const std::string& name)>& starting = {});

}  // namespace wf::jobs
