#include "core/device.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "core/error.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/torch_compat.h"

namespace wf::core {

TorchInfo read_torch_info() {
  TorchInfo info;
  info.version = TORCH_VERSION;
  info.cuda_available = torch::cuda::is_available();
  info.cuda_devices = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  info.cuda_bf16 = info.cuda_available && cuda_supports_bf16();
  info.threads = at::get_num_threads();
  info.mkldnn = at::hasMKLDNN();
  return info;
}

int set_torch_threads(int threads) {
  const int wanted = threads > 0 ? threads : read_machine_info().cores;
  if (at::get_num_threads() != wanted) at::set_num_threads(wanted);
  return at::get_num_threads();
}

ComputeChoice choose_compute(DeviceKind device, Precision precision, int threads) {
  ComputeChoice choice;
  const bool cuda = torch::cuda::is_available();
  if (device == DeviceKind::cuda && !cuda) {
    throw Error(ErrorCode::unsupported, "CUDA was asked for, but libtorch sees no CUDA device", {},
                "use --device cpu, or build with the cuda preset against a CUDA libtorch (README, \"CUDA build\")");
  }
  choice.device = (device == DeviceKind::automatic) ? (cuda ? DeviceKind::cuda : DeviceKind::cpu) : device;
  const bool on_cuda = choice.device == DeviceKind::cuda;
  if (precision == Precision::fp16 && !on_cuda) {
    throw Error(ErrorCode::unsupported, "fp16 is not available on the CPU (libtorch has no CPU fp16 matmul)", {},
                "use --precision fp32 or bf16 on the CPU");
  }
  if (precision == Precision::automatic) {
    choice.precision = on_cuda ? (cuda_supports_bf16() ? Precision::bf16 : Precision::fp16) : Precision::fp32;
  } else {
    choice.precision = precision;
  }
  choice.threads = set_torch_threads(threads);
  choice.reason = std::string(on_cuda ? "CUDA device 0" : "CPU") + ", " + std::string(to_string(choice.precision)) +
                  ", " + std::to_string(choice.threads) + " threads (libtorch " + TORCH_VERSION + ")";
  log::info("core.device", "compute on {}", choice.reason);
  return choice;
}

}  // namespace wf::core
