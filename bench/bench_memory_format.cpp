// Whether channels-last pays for the convolution networks: the XSeg U-Net ResNet34 training step (256x256,
// batch 8, BCE + Dice, AdamW) and one inference, each with the weights and inputs in the default contiguous
// (NCHW) layout and in channels-last (NHWC), the two models stepped in turn in the same run. On CUDA the steps
// run under fp16 autocast, where NHWC is the layout tensor cores read; on the CPU in fp32.
// `ratio_channels_last` is channels-last's median over contiguous's median of 5 steps: below 1 it pays.
// Run: build/dev/bench/wf_bench_memory_format

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <vector>

#include "core/device.h"
#include "core/median.h"
#include "core/torch_compat.h"
#include "nn/unet.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::xseg {
namespace {

constexpr int kRuns = 5;

torch::Device bench_device() {
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
}

double seconds_of(const std::function<void()>& step, torch::Device device) {
  const auto start = std::chrono::steady_clock::now();
  step();
  if (device.is_cuda()) torch::cuda::synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One model in one layout, with its own optimizer.
struct Layout {
  nn::Unet model;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  at::MemoryFormat format;
  std::vector<double> train_times, infer_times;

  Layout(at::MemoryFormat memory_format, torch::Device device) : format(memory_format) {
    torch::manual_seed(0);
    model->to(device);
    for (at::Tensor& p : model->parameters()) {
      if (p.dim() == 4) p.set_data(p.contiguous(format));
    }
    optimizer =
        std::make_unique<torch::optim::AdamW>(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(1e-2));
  }

  void train_step(const at::Tensor& x, const at::Tensor& y) {
    model->train();
    optimizer->zero_grad();
    const core::CudaAutocast autocast(x.is_cuda(), at::kHalf);
    const at::Tensor logits = model->forward(x.contiguous(format)).to(torch::kFloat);
    mask_loss(logits, y).backward();
    optimizer->step();
  }

  void infer(const at::Tensor& x) {
    model->eval();
    const torch::NoGradGuard no_grad;
    const core::CudaAutocast autocast(x.is_cuda(), at::kHalf);
    model->forward(x.contiguous(format));
  }
};

void BM_XSegMemoryFormat(benchmark::State& state) {
  const int threads = core::set_torch_threads(0);
  const torch::Device device = bench_device();
  Layout contiguous(at::MemoryFormat::Contiguous, device), channels_last(at::MemoryFormat::ChannelsLast, device);
  const at::Tensor x = torch::rand({8, 3, 256, 256}).to(device);
  const at::Tensor y = torch::rand({8, 1, 256, 256}).gt(0.5).to(device, torch::kFloat);
  const at::Tensor one = x.slice(0, 0, 1);
  for (Layout* layout : {&contiguous, &channels_last}) {  // warm-up
    layout->train_step(x, y);
    layout->infer(one);
  }
  for (auto _ : state) {
    double elapsed = 0;
    for (Layout* layout : {&contiguous, &channels_last}) {
      layout->train_times.push_back(seconds_of([&] { layout->train_step(x, y); }, device));
      layout->infer_times.push_back(seconds_of([&] { layout->infer(one); }, device));
      elapsed += layout->train_times.back() + layout->infer_times.back();
    }
    state.SetIterationTime(elapsed);
  }
  const double train_nchw = core::median_in_place(contiguous.train_times);
  const double train_nhwc = core::median_in_place(channels_last.train_times);
  const double infer_nchw = core::median_in_place(contiguous.infer_times);
  const double infer_nhwc = core::median_in_place(channels_last.infer_times);
  state.SetLabel(device.is_cuda() ? "cuda fp16 autocast" : "cpu fp32");
  state.counters["train_s_contiguous"] = train_nchw;
  state.counters["train_s_channels_last"] = train_nhwc;
  state.counters["train_ratio_channels_last"] = train_nhwc / train_nchw;
  state.counters["infer_s_contiguous"] = infer_nchw;
  state.counters["infer_s_channels_last"] = infer_nhwc;
  state.counters["infer_ratio_channels_last"] = infer_nhwc / infer_nchw;
  state.counters["threads"] = threads;
}

}  // namespace
}  // namespace wf::xseg

BENCHMARK(wf::xseg::BM_XSegMemoryFormat)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(wf::xseg::kRuns);
BENCHMARK_MAIN();
