// One identity-training step (forward and backward through the frozen SD 1.5 UNet into the IdentityNet and the
// IP-Adapter, then AdamW) at the full model sizes on the CPU, with random weights: what a real GPU run
// allocates and computes per face. Reports the trainable parameters, seconds per step, the ratio of the step
// to a plain no-grad UNet forward measured in the same run, and the peak resident memory (VmHWM).
// Run: build/dev/bench/wf_bench_identity_step; WF_BENCH_RESOLUTION=256 for the small-GPU crop,
// WF_BENCH_CHECKPOINTING=0 to keep every activation (the trainer's default recomputes them).

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/device.h"
#include "peak_memory.h"
#include "diffusion/stable_diffusion.h"
#include "train/trainers/identity/identity_task.h"

namespace wf::identity {
namespace {

int resolution() {
  const char* value = std::getenv("WF_BENCH_RESOLUTION");
  return value ? std::atoi(value) : 512;
}

void BM_IdentityTrainStep(benchmark::State& state) {
  core::set_torch_threads(0);
  torch::manual_seed(0);
  const int r = resolution();
  diffusion::StableDiffusion sd;
  sd.unet = diffusion::UNet2DConditionModel();
  sd.vae = diffusion::AutoencoderKL();
  sd.text_encoder = diffusion::CLIPTextModel();
  sd.tokenizer = diffusion::CLIPTokenizer::load(WF_CLIP_VOCAB_DIR);
  const IdentityData data({"a", "b"}, torch::rand({2, 3, r, r}) * 2 - 1, torch::rand({2, 3, r, r}),
                          torch::nn::functional::normalize(torch::randn({2, 512}),
                                                           torch::nn::functional::NormalizeFuncOptions().dim(1)));
  IdentityTrainOptions options;
  options.resolution = r;
  const char* checkpointing = std::getenv("WF_BENCH_CHECKPOINTING");
  options.gradient_checkpointing = !checkpointing || std::string(checkpointing) != "0";
  IdentityTask task(options, data, sd, 0);
  task.set_effective_batch(1);
  int64_t trainable = 0;
  for (const auto& p : task.model().parameters()) trainable += p.numel();
  torch::optim::AdamW optimizer(task.model().parameters(), torch::optim::AdamWOptions(1e-5));

  // The reference: one no-grad forward of the plain UNet on the same latents.
  const int64_t latent = r / 8;
  const at::Tensor latents = torch::randn({1, 4, latent, latent});
  const at::Tensor context = torch::randn({1, 77, 768});
  double unet_seconds = 0;
  {
    torch::NoGradGuard no_grad;
    sd.unet->forward(latents, torch::tensor(500), torch::randn({1, 93, 768}));  // warm-up (text + 16 tokens)
    const auto start = std::chrono::steady_clock::now();
    sd.unet->forward(latents, torch::tensor(500), torch::cat({context, torch::randn({1, 16, 768})}, 1));
    unet_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  int64_t step = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    optimizer.zero_grad();
    task.loss(step++, 0, 1).backward();
    optimizer.step();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
  }
  state.counters["trainable_params"] = static_cast<double>(trainable);
  state.counters["s_per_step"] = seconds;
  state.counters["ratio_to_unet_forward"] = seconds / unet_seconds;
  state.counters["peak_rss_GiB"] = bench::peak_resident_gib();
  state.counters["checkpointing"] = options.gradient_checkpointing ? 1 : 0;
}

BENCHMARK(BM_IdentityTrainStep)->UseManualTime()->Iterations(2)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace wf::identity

BENCHMARK_MAIN();
