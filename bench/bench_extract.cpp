// Target extraction of a 720p clip on the CPU: frames/s and the share of time each stage takes (decode,
// detect, landmarks, embed, write). The clip is the packaged sample3.jpg at 1280x720, panning, with
// three faces; its frames are written losslessly once, outside the timed loop.
// Run: build/dev/bench/wf_bench_extract [--benchmark_format=json].

#include <benchmark/benchmark.h>

#include "core/config.h"
#include "core/device.h"
#include "extract/target_extraction.h"
#include "models/face_analysers.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"

namespace wf::extract {
namespace {

void BM_ExtractTarget720p(benchmark::State& state) {
  core::set_torch_threads(0);
  const core::AppConfig config = core::AppConfig::defaults();
  static models::FaceAnalysers analysers = models::load_face_analysers(config);
  const test::TempDir dir;
  test::PanningClip clip = test::group_photo_clip(20);
  clip.scale = 1280.0 / 1920.0;
  clip.crop = cv::Rect(0, 80, 1280, 720);
  clip.write(dir / "clip.mkv");

  models::StageTimes times;
  int frames = 0, run = 0;
  for (auto _ : state) {
    TargetOptions options;
    options.video = dir / "clip.mkv";
    options.output = dir / ("out" + std::to_string(run++));
    const TargetSummary summary = extract_target(options, analysers);
    frames += summary.frames;
    times.decode += summary.times.decode;
    times.detect += summary.times.detect;
    times.landmarks += summary.times.landmarks;
    times.embed += summary.times.embed;
    times.write += summary.times.write;
  }
  state.counters["frames/s"] = benchmark::Counter(frames, benchmark::Counter::kIsRate);
  const double total = times.total();
  state.counters["decode%"] = 100 * times.decode / total;
  state.counters["detect%"] = 100 * times.detect / total;
  state.counters["landmarks%"] = 100 * times.landmarks / total;
  state.counters["embed%"] = 100 * times.embed / total;
  state.counters["write%"] = 100 * times.write / total;
}

BENCHMARK(BM_ExtractTarget720p)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace wf::extract

BENCHMARK_MAIN();
