// XSeg training speed on the CPU: images/s of one training step (forward, BCE + Dice, backward, AdamW) of
// the smp-compatible U-Net ResNet34 at 256x256, batch 8, and the same step of the identical network in
// Debian's python3-torch (bench/xseg_train_reference.py), measured in the same run with the same threads.
// `ratio_to_python` is our median over Python's median of 5 steps each, below 1 when ours is faster.
// Run: build/dev/bench/wf_bench_xseg

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/median.h"
#include "nn/unet.h"
#include "reference_run.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::xseg {
namespace {

constexpr int kRuns = 5;

void BM_XSegTrainStep256(benchmark::State& state) {
  const int threads = core::set_torch_threads(0);
  torch::manual_seed(0);
  nn::Unet model;
  model->train();
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(1e-2));
  const at::Tensor x = torch::rand({8, 3, 256, 256});
  const at::Tensor y = torch::rand({8, 1, 256, 256}).gt(0.5).to(torch::kFloat);
  auto step = [&] {
    optimizer.zero_grad();
    const at::Tensor logits = model->forward(x);
    mask_loss(logits, y).backward();
    optimizer.step();
  };
  step();  // warm-up
  std::vector<double> times;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state.SetIterationTime(times.back());
  }
  const double ours = core::median_in_place(times);
  const double python =
      bench::python_median_seconds("xseg_train_reference.py", std::to_string(threads) + " " + std::to_string(kRuns));
  state.counters["s_per_step"] = ours;
  state.counters["images/s"] = 8.0 / ours;
  state.counters["python_s_per_step"] = python;
  state.counters["ratio_to_python"] = python > 0 ? ours / python : 0;
  state.counters["threads"] = threads;
}

}  // namespace
}  // namespace wf::xseg

BENCHMARK(wf::xseg::BM_XSegTrainStep256)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(wf::xseg::kRuns);
BENCHMARK_MAIN();
