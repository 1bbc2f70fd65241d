// XSeg training through the whole trainer on a real target dataset (the panning group photo, extracted once,
// outside the timed runs): seconds per optimizer step at 256x256, batch 8, including reading the faces and their
// masks and augmenting them (flip, affine and colour jitter, blur, a random occluder). Two runs of the same steps
// in the same process: the loader thread making the next batch while one trains (what training on CUDA uses), and
// each batch made on the training thread before its step (what training on the CPU uses), the reference.
// `ratio_to_inline` below 1 is what the overlap saves. Each figure is the median time between step events, the first step (warm-up) left out.
// Run: build/dev/bench/wf_bench_xseg_training

#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "core/config.h"
#include "core/device.h"
#include "core/events.h"
#include "core/median.h"
#include "extract/target_extraction.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::xseg {
namespace {

// The time of every step event.
class StepClock : public core::EventSink {
 public:
  void emit(const core::Event& event) override {
    if (event.kind == core::EventKind::step) times.push_back(std::chrono::steady_clock::now());
  }
  double median_step_seconds() const {
    std::vector<double> gaps;
    for (std::size_t i = 2; i < times.size(); ++i) {
      gaps.push_back(std::chrono::duration<double>(times[i] - times[i - 1]).count());
    }
    return core::median_in_place(gaps);
  }
  std::vector<std::chrono::steady_clock::time_point> times;
};

struct Dataset {
  test::TempDir dir;
  Dataset() {
    test::group_photo_clip(40).write(dir / "clip.mkv");
    extract::TargetOptions target;
    target.video = dir / "clip.mkv";
    target.output = dir / "target";
    models::FaceAnalysers analysers = models::load_face_analysers(core::AppConfig::defaults());
    extract::extract_target(target, analysers);
  }
};

double seconds_per_step(const Dataset& dataset, std::int64_t loader_ahead, int run) {
  XSegTrainOptions options;
  options.dataset = dataset.dir / "target";
  options.output = dataset.dir / ("xseg" + std::to_string(run));
  options.epochs = 2;
  options.train.batch_size = 8;
  options.train.loader_ahead = loader_ahead;
  StepClock clock;
  train_xseg(options, &clock);
  return clock.median_step_seconds();
}

void BM_XSegTrainerStep256(benchmark::State& state) {
  const int threads = core::set_torch_threads(0);
  static const Dataset dataset;
  int run = 0;
  double overlapped = 0, in_line = 0;
  for (auto _ : state) {
    overlapped = seconds_per_step(dataset, 2, run++);
    in_line = seconds_per_step(dataset, 0, run++);
    state.SetIterationTime(overlapped);
  }
  state.counters["s_per_step"] = overlapped;
  state.counters["images/s"] = 8.0 / overlapped;
  state.counters["inline_s_per_step"] = in_line;
  state.counters["ratio_to_inline"] = overlapped / in_line;
  state.counters["threads"] = threads;
}

}  // namespace
}  // namespace wf::xseg

BENCHMARK(wf::xseg::BM_XSegTrainerStep256)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_MAIN();
