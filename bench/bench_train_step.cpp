// One training step of each diffusion trainer at the full SD 1.5 sizes on the CPU, with random weights: what a
// real GPU run allocates and computes per face.
// - identity: forward and backward through the frozen UNet into the IdentityNet and the IP-Adapter, then AdamW;
// - lora: rank-16 LoRA on the UNet's attention projections, the rest frozen.
// Each reports the trainable parameters, seconds per step, the ratio of the step to a plain no-grad UNet
// forward measured in the same run, and the peak resident memory (VmHWM; run one benchmark per process with
// --benchmark_filter for a peak of its own).
// Run: build/dev/bench/wf_bench_train_step [--benchmark_filter=Lora]; WF_BENCH_RESOLUTION=256 for the small-GPU
// crop, WF_BENCH_CHECKPOINTING=0 to keep every activation (the trainers' default recomputes them).

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/device.h"
#include "diffusion/stable_diffusion.h"
#include "options/lora_options.h"
#include "peak_memory.h"
#include "train/trainers/identity/identity_task.h"
#include "train/trainers/lora/lora_options.h"
#include "train/trainers/lora/lora_task.h"

namespace wf {
namespace {

int resolution() {
  const char* value = std::getenv("WF_BENCH_RESOLUTION");
  return value ? std::atoi(value) : 512;
}

bool checkpointing() {
  const char* value = std::getenv("WF_BENCH_CHECKPOINTING");
  return !value || std::string(value) != "0";
}

diffusion::StableDiffusion full_size_sd() {
  core::set_torch_threads(0);
  torch::manual_seed(0);
  diffusion::StableDiffusion sd;
  sd.unet = diffusion::UNet2DConditionModel();
  sd.vae = diffusion::AutoencoderKL();
  sd.text_encoder = diffusion::CLIPTextModel();
  sd.tokenizer = diffusion::CLIPTokenizer::load(WF_CLIP_VOCAB_DIR);
  return sd;
}

// Two faces at the resolution, with their keypoint images and 512-wide (ArcFace-sized) embeddings.
denoising::FaceTrainingData faces(int r) {
  return {
      {"a", "b"},
      torch::rand({2, 3, r, r}) * 2 - 1,
      torch::rand({2, 3, r, r}),
      torch::nn::functional::normalize(torch::randn({2, 512}), torch::nn::functional::NormalizeFuncOptions().dim(1))};
}

// The reference: one no-grad forward of the plain UNet on latents of the resolution, after a warm-up.
double unet_forward_seconds(diffusion::UNet2DConditionModel& unet, int r, int64_t context_tokens) {
  torch::NoGradGuard no_grad;
  const at::Tensor latents = torch::randn({1, 4, r / 8, r / 8});
  const at::Tensor context = torch::randn({1, context_tokens, 768});
  unet->forward(latents, torch::tensor(500), context);
  const auto start = std::chrono::steady_clock::now();
  unet->forward(latents, torch::tensor(500), context);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void time_steps(benchmark::State& state, denoising::DenoisingTask& task, double lr, double unet_seconds) {
  task.set_effective_batch(1);
  int64_t trainable = 0;
  for (const auto& p : task.model().parameters()) trainable += p.numel();
  torch::optim::AdamW optimizer(task.model().parameters(), torch::optim::AdamWOptions(lr));
  int64_t step = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    optimizer.zero_grad();
    task.loss_at(step++, 0, 1).backward();
    optimizer.step();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
  }
  state.counters["trainable_params"] = static_cast<double>(trainable);
  state.counters["s_per_step"] = seconds;
  state.counters["ratio_to_unet_forward"] = seconds / unet_seconds;
  state.counters["peak_rss_GiB"] = bench::peak_resident_gib();
  state.counters["checkpointing"] = checkpointing() ? 1 : 0;
}

void BM_IdentityTrainStep(benchmark::State& state) {
  diffusion::StableDiffusion sd = full_size_sd();
  const int r = resolution();
  const denoising::FaceTrainingData data = faces(r);
  identity::IdentityTrainOptions options;
  options.resolution = r;
  options.gradient_checkpointing = checkpointing();
  const double unet_seconds = unet_forward_seconds(sd.unet, r, 77 + 16);  // text + 16 identity tokens
  identity::IdentityTask task(options, data, sd, 0);
  time_steps(state, task, 1e-5, unet_seconds);
}

void BM_LoraTrainStep(benchmark::State& state) {
  diffusion::StableDiffusion sd = full_size_sd();
  const int r = resolution();
  const denoising::FaceTrainingData data = faces(r);
  lora::LoraTrainOptions options = lora::lora_train_options(
      options::resolve_lora_options({{"dataset", "unused"}, {"output", "unused"}}), core::ComputeChoice{});
  options.resolution = r;
  options.sample_every = 0;  // no sample image at step 0 (20 full sampling steps) inside the timed step
  options.gradient_checkpointing = checkpointing();
  const double unet_seconds = unet_forward_seconds(sd.unet, r, 77);
  lora::LoraTask task(options, data, sd, 0);
  time_steps(state, task, 1e-4, unet_seconds);
}

BENCHMARK(BM_IdentityTrainStep)->UseManualTime()->Iterations(2)->Unit(benchmark::kSecond);
BENCHMARK(BM_LoraTrainStep)->UseManualTime()->Iterations(2)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace wf

BENCHMARK_MAIN();
