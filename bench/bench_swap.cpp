// The offline swap of a 720p clip on the CPU (the tracked face of the panning group photo replaced by Grace
// Hopper's): frames/s of the whole driver (decode, warp, colour match, Poisson blend, paste-back, H.264 encode),
// against a reference measured in the same run — the same frames decoded and encoded with no swap — so the
// ratio is what the engine adds. Also the generative engine with the tiny model set the tests use (SD folder and
// identity adapter at 64 pixels), in seconds per frame per sampling step; at the full SD 1.5 sizes a step is the
// ControlNet-inpaint step wf_bench_diffusion_step measures. The clip, datasets and models are made once, outside
// the timed loops. Review (step 5) on the offline engine's lossless swap of the same clip: the scan alone (every
// frame's face found again, its landmarks and embedding, the temporal check) against the frames decoded with no
// scan, and a review that repairs every frame with one ladder step.
// Run: build/dev/bench/wf_bench_swap [--benchmark_format=json].

#include <benchmark/benchmark.h>

#include "core/config.h"
#include "core/device.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "media/video_writer.h"
#include "review/review.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"
#include "support/tiny_identity_adapter.h"
#include "support/tiny_stable_diffusion.h"
#include "swap/swap_driver.h"

namespace wf::swap {
namespace {

models::FaceAnalysers& analysers() {
  static models::FaceAnalysers instance = models::load_face_analysers(core::AppConfig::defaults());
  return instance;
}

struct Clip {
  test::TempDir dir;
  std::filesystem::path sd = dir / "sd", identity = dir / "identity";
  Clip() {
    core::set_torch_threads(0);
    test::PanningClip clip = test::group_photo_clip(30);
    clip.scale = 1280.0 / 1920.0;
    clip.crop = cv::Rect(0, 80, 1280, 720);
    clip.write(dir / "clip.mkv");
    extract::TargetOptions target;
    target.video = dir / "clip.mkv";
    target.output = dir / "target";
    extract::extract_target(target, analysers());
    extract::SourceOptions source;
    source.inputs = {"/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"};
    source.output = dir / "source";
    extract::extract_source(source, analysers());
    test::write_tiny_stable_diffusion(sd);
    test::train_tiny_identity_adapter(source.output, sd, identity, 1);
    SwapOptions options = default_swap_options();
    options.source = source.output;
    options.target = target.output;
    options.output = dir / "swapped.mkv";
    options.lossless = true;
    swap_video(options);
  }
};


const Clip& clip() {
  static const Clip instance;
  return instance;
}

void BM_DecodeEncodeOnly720p(benchmark::State& state) {
  const media::MediaInfo info = media::probe_media(clip().dir / "clip.mkv");
  std::int64_t frames = 0;
  for (auto _ : state) {
    media::VideoReader reader(clip().dir / "clip.mkv");
    media::VideoWriter writer({.output = clip().dir / "plain.mp4", .width = info.width, .height = info.height,
                               .frame_rate = info.frame_rate});
    while (auto frame = reader.next()) {
      writer.write(frame->image);
      ++frames;
    }
    writer.finish();
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

void BM_OfflineSwap720p(benchmark::State& state) {
  SwapOptions options = default_swap_options();
  options.source = clip().dir / "source";
  options.target = clip().dir / "target";
  options.output = clip().dir / "swapped.mp4";
  std::int64_t frames = 0, swapped = 0;
  for (auto _ : state) {
    const SwapSummary summary = swap_video(options);
    frames += summary.frames;
    swapped += summary.swapped;
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.counters["swapped_share"] = static_cast<double>(swapped) / static_cast<double>(frames);
}

void BM_GenerativeSwapTiny720p(benchmark::State& state) {
  SwapOptions options = default_swap_options();
  options.source = clip().dir / "source";
  options.target = clip().dir / "target";
  options.output = clip().dir / "generated.mp4";
  options.engine = EngineKind::generative;
  options.generative.base_model = clip().sd;
  options.generative.identity = clip().identity;
  options.generative.steps = 4;
  std::int64_t frames = 0;
  double seconds = 0;
  for (auto _ : state) {
    const SwapSummary summary = swap_video(options);
    frames += summary.swapped;
    seconds += summary.seconds;
  }
  state.counters["s_per_frame_per_step"] =
      seconds / static_cast<double>(frames) / static_cast<double>(options.generative.steps);
}

void BM_DecodeOnly720p(benchmark::State& state) {
  const std::filesystem::path video = clip().dir / "swapped.mkv";  // made before the timed loop
  std::int64_t frames = 0;
  for (auto _ : state) {
    media::VideoReader reader(video);
    while (reader.next()) ++frames;
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

void BM_ReviewScan720p(benchmark::State& state) {
  review::ReviewOptions options;
  options.input = clip().dir / "swapped.mkv";
  std::int64_t frames = 0, scanned = 0;
  for (auto _ : state) {
    const review::ReviewSummary summary = review::review_video(options, analysers());
    frames += summary.video_frames;
    scanned += static_cast<std::int64_t>(summary.frames.size());
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.counters["scanned_share"] = static_cast<double>(scanned) / static_cast<double>(frames);
}

// Every frame flagged (an unreachable similarity) and swapped again along two ladder steps (the swap's own
// settings, which give the frame back unchanged, then another colour mode, which is scored): the repair's cost.
void BM_ReviewRepairEveryFrame720p(benchmark::State& state) {
  review::ReviewOptions options;
  options.input = clip().dir / "swapped.mkv";
  options.output = clip().dir / "reviewed.mp4";
  options.thresholds.min_similarity = 0.99;
  options.attempts = 2;
  std::int64_t frames = 0;
  for (auto _ : state) frames += review::review_video(options, analysers()).video_frames;
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_DecodeEncodeOnly720p)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_OfflineSwap720p)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_GenerativeSwapTiny720p)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_DecodeOnly720p)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_ReviewScan720p)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_ReviewRepairEveryFrame720p)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace wf::swap

BENCHMARK_MAIN();
