// XSeg training speed on the CPU: images/s of one training step (forward, BCE + Dice, backward, AdamW) of
// the smp-compatible U-Net ResNet34 at 256x256, batch 8, and the same step of the identical network in
// Debian's python3-torch (bench/xseg_train_reference.py), measured in the same run with the same threads.
// Run: build/dev/bench/wf_bench_xseg. "ratio" > 1 means ours is faster.

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "core/device.h"
#include "nn/unet.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::xseg {
namespace {

constexpr int kSteps = 3;

double python_images_per_s(int threads) {
  const std::string command = "/usr/bin/python3 " WF_BENCH_DIR "/xseg_train_reference.py " + std::to_string(threads) +
                              " " + std::to_string(kSteps);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return 0;
  std::array<char, 256> line{};
  double rate = 0;
  while (fgets(line.data(), line.size(), pipe.get())) std::sscanf(line.data(), "images_per_s=%lf", &rate);
  return rate;
}

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
    (torch::binary_cross_entropy_with_logits(logits, y) + dice_loss(logits, y)).backward();
    optimizer.step();
  };
  step();  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) step();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double ours = 8.0 * static_cast<double>(state.iterations()) / seconds;
  const double python = python_images_per_s(threads);
  state.counters["images/s"] = ours;
  state.counters["python images/s"] = python;
  state.counters["ratio"] = python > 0 ? ours / python : 0;
  state.counters["threads"] = threads;
}

}  // namespace
}  // namespace wf::xseg

BENCHMARK(wf::xseg::BM_XSegTrainStep256)->Unit(benchmark::kMillisecond)->Iterations(wf::xseg::kSteps);
BENCHMARK_MAIN();
