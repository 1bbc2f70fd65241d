// One 512x512 sampling step of Stable Diffusion 1.5 on the CPU, at the full model sizes (random weights: speed
// and memory do not depend on the values): the UNet alone, then the ControlNet inpaint step the swap runs
// (ControlNet + UNet, classifier-free guidance, so batch 2 through both). Reports seconds per step, the
// ControlNet step's cost as a ratio of the plain UNet step measured in the same run, and the process's peak
// resident memory (VmHWM). Run: build/dev/bench/wf_bench_diffusion_step

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <string>

#include "core/device.h"
#include "peak_memory.h"
#include "diffusion/controlnet.h"
#include "diffusion/unet_2d_condition.h"

namespace wf::diffusion {
namespace {

struct Models {
  UNet2DConditionModel unet;
  ControlNetModel controlnet;
  Models() : unet(UNet2DConditionConfig{}), controlnet(controlnet_from_unet(unet, false)) {
    unet->eval();
    controlnet->eval();
  }
};

Models& models() {
  static Models instance;
  return instance;
}

double g_unet_seconds = 0;

void run(benchmark::State& state, bool with_controlnet) {
  core::set_torch_threads(0);
  torch::NoGradGuard no_grad;
  Models& m = models();
  torch::manual_seed(0);
  const at::Tensor latents = torch::randn({2, 4, 64, 64});
  const at::Tensor context = torch::randn({2, 77, 768});
  const at::Tensor control = torch::rand({2, 3, 512, 512});
  const at::Tensor t = torch::tensor(500.0);
  auto step = [&] {
    if (!with_controlnet) return m.unet->forward(latents, t, context);
    const ControlResiduals residuals = m.controlnet->forward(latents, t, context, control);
    return m.unet->forward(latents, t, context, &residuals);
  };
  step();  // warm-up: first-call allocations and oneDNN primitive creation
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor out = step();
    benchmark::DoNotOptimize(out.data_ptr());
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
  }
  state.counters["s_per_step"] = seconds;
  state.counters["peak_rss_GiB"] = bench::peak_resident_gib();
  if (!with_controlnet) g_unet_seconds = seconds;
  if (with_controlnet && g_unet_seconds > 0) state.counters["ratio_to_unet_step"] = seconds / g_unet_seconds;
}

void BM_UNetStep512Cfg(benchmark::State& state) { run(state, false); }
void BM_ControlNetInpaintStep512Cfg(benchmark::State& state) { run(state, true); }

BENCHMARK(BM_UNetStep512Cfg)->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_ControlNetInpaintStep512Cfg)->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace wf::diffusion

BENCHMARK_MAIN();
