#include "jobs/machine_bench.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/compute_dtype.h"
#include "core/error.h"
#include "core/median.h"
#include "core/torch_compat.h"
#include "diffusion/unet_2d_condition.h"
#include "face/aligner.h"
#include "face/detector.h"
#include "face/embedder.h"
#include "face/landmarker_478.h"
#include "media/image_io.h"
#include "models/face_backends.h"
#include "nn/unet.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::jobs {
namespace {

struct Target {
  c10::Device device{c10::kCPU};
  at::ScalarType half = at::kFloat;  // the UNet's dtype: fp16/bf16 on CUDA when chosen
  bool cuda = false;
};

Target target_of(const core::ComputeChoice& compute) {
  Target t;
  t.cuda = compute.device == core::DeviceKind::cuda;
  if (t.cuda) t.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(compute.device_index));
  t.half = core::compute_dtype(compute.precision, t.cuda);
  return t;
}

// CUDA runs asynchronously: reading one value back waits for the work queued before it.
void wait_for(const at::Tensor& result) {
  if (result.is_cuda()) result.sum().item<double>();
}

// Times `run` (which returns how many items it processed) `runs` times after one warm-up run.
MachineBenchResult measure(const std::string& name, const std::string& unit, int runs,
                           const std::function<double()>& run) {
  core::restart_peak_resident();  // so each measurement reports its own peak
  const double items = run();     // warm-up: allocations, oneDNN primitives, cuDNN algorithm search
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double median = core::median_in_place(times);
  return {name, median > 0 ? items / median : 0, unit, median, runs, core::peak_resident_bytes()};
}

MachineBenchResult bench_faces(const core::AppConfig& config, const MachineBenchOptions& options) {
  const std::filesystem::path image =
      options.image.empty() ? config.assets_dir / "@vladmandic/face-api/demo/sample3.jpg" : options.image;
  const cv::Mat frame = media::read_image(image);
  const auto detector = models::make_face_detector(config);
  const face::Landmarker478 mesh = models::make_landmarker_478(config);
  const auto embedder = models::make_face_embedder(config);
  if (detector->detect(frame).empty()) {
    throw Error(ErrorCode::invalid_input, "no face found to measure face analysis on", image,
                "pass a photo with a face: watserface bench --image FILE");
  }
  // The path each frame takes in extraction: detect, then mesh + irises and the embedding of every face.
  return measure("faces", "faces/s", options.runs, [&] {
    double analysed = 0;
    for (const auto& found : detector->detect(frame)) {
      const auto points = mesh.landmarks(frame, found.box);
      if (!points) continue;
      embedder->embed(frame, face::keypoints_from_478(points->points));
      ++analysed;
    }
    return analysed;
  });
}

MachineBenchResult bench_xseg_train(const Target& t, const core::ComputeChoice& compute,
                                    const MachineBenchOptions& options) {
  constexpr int64_t kBatch = 8;
  nn::Unet model;
  model->to(t.device);
  model->train();
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(1e-2));
  const auto size = static_cast<int64_t>(options.xseg_size);
  const at::Tensor x = torch::rand({kBatch, 3, size, size}, t.device);
  const at::Tensor y = torch::rand({kBatch, 1, size, size}, t.device).gt(0.5).to(at::kFloat);
  return measure("xseg_train", "images/s", options.runs, [&] {
    optimizer.zero_grad();
    at::Tensor loss;
    {
      core::CudaAutocast autocast(t.cuda && compute.precision != core::Precision::fp32, t.half);
      const at::Tensor logits = model->forward(x).to(at::kFloat);
      loss = xseg::mask_loss(logits, y);
    }
    loss.backward();
    optimizer.step();
    wait_for(loss);
    return static_cast<double>(kBatch);
  });
}

MachineBenchResult bench_xseg_infer(const Target& t, const MachineBenchOptions& options) {
  torch::NoGradGuard no_grad;
  nn::Unet model;
  model->to(t.device);
  model->eval();
  const auto size = static_cast<int64_t>(options.xseg_size);
  const at::Tensor x = torch::rand({1, 3, size, size}, t.device);
  return measure("xseg_infer", "frames/s", options.runs, [&] {
    wait_for(torch::sigmoid(model->forward(x)));
    return 1.0;
  });
}

// One sampling step with classifier-free guidance (batch 2) at the configuration's sample size.
MachineBenchResult bench_unet(const std::string& name, const diffusion::UNet2DConditionConfig& config, const Target& t,
                              const MachineBenchOptions& options) {
  torch::NoGradGuard no_grad;
  diffusion::UNet2DConditionModel unet(config);
  unet->to(t.device, t.half);
  unet->eval();
  const auto opts = torch::TensorOptions().device(t.device).dtype(t.half);
  const at::Tensor latents = torch::randn({2, config.in_channels, config.sample_size, config.sample_size}, opts);
  const at::Tensor context = torch::randn({2, 77, config.cross_attention_dim}, opts);
  const at::Tensor timestep = torch::tensor(500.0, torch::TensorOptions().device(t.device));
  return measure(name, "steps/s", options.runs, [&] {
    wait_for(unet->forward(latents, timestep, context));
    return 1.0;
  });
}

}  // namespace

const std::vector<std::string>& machine_bench_names() {
  static const std::vector<std::string> names{"faces", "xseg_train", "xseg_infer", "unet_tiny", "unet_sd15"};
  return names;
}

MachineBenchReport run_machine_bench(const core::AppConfig& config, const MachineBenchOptions& options,
                                     const std::function<void(const std::string&)>& starting) {
  const auto& names = machine_bench_names();
  for (const std::string& name : options.only) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      throw Error(ErrorCode::invalid_input, "there is no measurement called '" + name + "'", {},
                  "choose from " + known);
    }
  }
  if (options.runs < 1 || options.xseg_size < 32 || options.xseg_size % 32 != 0) {
    throw Error(ErrorCode::invalid_input, "runs must be at least 1 and the XSeg size a multiple of 32", {},
                "for example --runs 5 --xseg-size 256");
  }
  MachineBenchReport report;
  report.compute = core::choose_compute(config.device, config.precision, config.threads);
  report.host = core::read_machine_info();
  report.torch = core::read_torch_info();
  const Target t = target_of(report.compute);
  torch::manual_seed(0);
  for (const std::string& name : names) {
    if (!options.only.empty() && std::find(options.only.begin(), options.only.end(), name) == options.only.end()) {
      continue;
    }
    if (starting) starting(name);
    if (name == "faces") report.results.push_back(bench_faces(config, options));
    if (name == "xseg_train") report.results.push_back(bench_xseg_train(t, report.compute, options));
    if (name == "xseg_infer") report.results.push_back(bench_xseg_infer(t, options));
    if (name == "unet_tiny")
      report.results.push_back(bench_unet(name, diffusion::UNet2DConditionConfig::tiny(), t, options));
    if (name == "unet_sd15") report.results.push_back(bench_unet(name, {}, t, options));
  }
  return report;
}

nlohmann::json MachineBenchReport::machine() const {
  return {{"cpu", host.cpu_model},
          {"cores", host.cores},
          {"memory_bytes", host.total_memory},
          {"threads", compute.threads},
          {"libtorch", torch.version},
          {"device", compute.device == core::DeviceKind::cuda ? "cuda" : "cpu"},
          {"precision", std::string(core::to_string(compute.precision))}};
}

nlohmann::json MachineBenchReport::to_json() const {
  nlohmann::json results_json = nlohmann::json::array();
  for (const auto& r : results) {
    results_json.push_back({{"name", r.name},
                            {"rate", r.rate},
                            {"unit", r.unit},
                            {"median_s", r.median_s},
                            {"runs", r.runs},
                            {"peak_rss_bytes", r.peak_rss}});
  }
  return {{"machine", machine()}, {"results", results_json}};
}

std::string MachineBenchReport::to_text() const {
  const nlohmann::json m = machine();
  std::string text = "Machine: " + host.cpu_model + ", " + std::to_string(host.cores) + " cores, " +
                     std::to_string(compute.threads) + " threads, " + core::format_bytes(host.total_memory) +
                     "; libtorch " + torch.version + " on " + m.at("device").get<std::string>() + " " +
                     m.at("precision").get<std::string>() + "\n";
  for (const auto& r : results) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-11s %10.3f %-9s median %.4f s of %d, peak %s\n", r.name.c_str(), r.rate,
                  r.unit.c_str(), r.median_s, r.runs, core::format_bytes(r.peak_rss).c_str());
    text += line;
  }
  return text;
}

}  // namespace wf::jobs
