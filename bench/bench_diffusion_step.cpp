// One 512x512 sampling step of Stable Diffusion 1.5 on the CPU, at the full model sizes (random weights: speed
// and memory do not depend on the values): the UNet alone, then the ControlNet inpaint step the swap runs
// (ControlNet + UNet, classifier-free guidance, so batch 2 through both). Reports seconds per step, the
// ControlNet step's cost as a ratio of the plain UNet step measured in the same run, and the process's peak
// resident memory (VmHWM). The UNet step is also timed in Debian's python3-torch on the identical network
// (bench/unet_step_reference.py) with the same threads: `ratio_to_python` is our median over Python's median of
// 5 steps each, below 1 when ours is faster. Run: build/dev/bench/wf_bench_diffusion_step

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/median.h"
#include "diffusion/controlnet.h"
#include "diffusion/unet_2d_condition.h"
#include "peak_memory.h"
#include "reference_run.h"

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

constexpr int kRuns = 5;

void run(benchmark::State& state, bool with_controlnet) {
  const int threads = core::set_torch_threads(0);
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
  std::vector<double> times;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor out = step();
    benchmark::DoNotOptimize(out.data_ptr());
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state.SetIterationTime(times.back());
  }
  const double seconds = core::median_in_place(times);
  state.counters["s_per_step"] = seconds;
  state.counters["threads"] = threads;
  if (!with_controlnet) {
    const double python =
        bench::python_median_seconds("unet_step_reference.py", std::to_string(threads) + " " + std::to_string(kRuns));
    state.counters["python_s_per_step"] = python;
    state.counters["ratio_to_python"] = python > 0 ? seconds / python : 0;
  }
  state.counters["peak_rss_GiB"] = bench::peak_resident_gib();
  if (!with_controlnet) g_unet_seconds = seconds;
  if (with_controlnet && g_unet_seconds > 0) state.counters["ratio_to_unet_step"] = seconds / g_unet_seconds;
}

void BM_UNetStep512Cfg(benchmark::State& state) {
  run(state, false);
}
void BM_ControlNetInpaintStep512Cfg(benchmark::State& state) {
  run(state, true);
}

BENCHMARK(BM_UNetStep512Cfg)->UseManualTime()->Iterations(kRuns)->Unit(benchmark::kSecond);
BENCHMARK(BM_ControlNetInpaintStep512Cfg)->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace wf::diffusion

BENCHMARK_MAIN();
