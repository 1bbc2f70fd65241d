#pragma once
// Device and precision choice (CUDA when present, else CPU) and libtorch's thread count.
// The header is torch-free so the CLI and doctor can ask without the torch headers.

#include <string>

#include "core/config.h"

namespace wf::core {

struct ComputeChoice {
  DeviceKind device = DeviceKind::cpu;  // never automatic once chosen
  int device_index = 0;
  Precision precision = Precision::fp32;
  int threads = 1;
  std::string reason;  // one line for the log: why this device and precision

  std::string device_name() const { return device == DeviceKind::cuda ? "cuda" : "cpu"; }  // as trainers take it
};

struct TorchInfo {
  std::string version;  // libtorch's own, e.g. "1.13.0"
  bool cuda_available = false;
  int cuda_devices = 0;
  bool cuda_bf16 = false;  // CUDA device 0 supports bf16 (Ampere and newer)
  int threads = 1;         // intra-op threads libtorch uses now
  bool mkldnn = false;     // oneDNN convolutions on CPU
};

TorchInfo read_torch_info();

// Resolves "auto" settings against the machine and applies the thread count to libtorch
// (0 threads: one per core). Asking for CUDA without one throws wf::Error(unsupported) with the fix;
// fp16 on CPU throws too, since libtorch has no CPU fp16 matmul.
ComputeChoice choose_compute(DeviceKind device, Precision precision, int threads);

// Sets libtorch's intra-op threads (0: one per core) and returns the count in effect.
int set_torch_threads(int threads);

}  // namespace wf::core
