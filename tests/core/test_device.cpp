#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/device.h"
#include "core/error.h"
#include "core/machine.h"

namespace wf::core {
namespace {

TEST(Device, AutoPicksCudaOnlyWhenPresentAndFp32OnCpu) {
  const ComputeChoice choice = choose_compute(DeviceKind::automatic, Precision::automatic, 0);
  if (torch::cuda::is_available()) {
    EXPECT_EQ(choice.device, DeviceKind::cuda);
    EXPECT_NE(choice.precision, Precision::fp32);
  } else {
    EXPECT_EQ(choice.device, DeviceKind::cpu);
    EXPECT_EQ(choice.precision, Precision::fp32);
  }
  EXPECT_FALSE(choice.reason.empty());
}

TEST(Device, ThreadCountFollowsTheCores) {
  EXPECT_EQ(set_torch_threads(0), read_machine_info().cores);
  EXPECT_EQ(at::get_num_threads(), read_machine_info().cores);
  EXPECT_EQ(set_torch_threads(1), 1);
  set_torch_threads(0);
}

TEST(Device, ImpossibleRequestsExplainTheFix) {
  if (!torch::cuda::is_available()) {
    try {
      choose_compute(DeviceKind::cuda, Precision::automatic, 0);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::unsupported);
      EXPECT_NE(e.hint().find("--device cpu"), std::string::npos);
    }
  }
  EXPECT_THROW(choose_compute(DeviceKind::cpu, Precision::fp16, 0), Error);
  EXPECT_EQ(choose_compute(DeviceKind::cpu, Precision::bf16, 0).precision, Precision::bf16);
}

TEST(Device, TorchInfoNamesTheVersion) {
  const TorchInfo info = read_torch_info();
  EXPECT_FALSE(info.version.empty());
  EXPECT_GE(info.threads, 1);
}

}  // namespace
}  // namespace wf::core
