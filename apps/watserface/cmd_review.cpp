// watserface review: step 5 from the command line — scan a swapped video, repair the frames that fail, write the
// reviewed video and its report.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli_context.h"
#include "models/face_analysers.h"
#include "interrupt.h"
#include "progress_line.h"
#include "review/review.h"

namespace wf::app {
namespace {

struct ReviewFlags {
  std::string input, output, events;
  review::ReviewOptions options;
  bool scan_only = false;
};

int run_review(const GlobalOptions& global, ReviewFlags& flags) {
  if (flags.output.empty() && !flags.scan_only) {
    std::fprintf(stderr, "watserface review: give --output for the reviewed video, or --scan-only to only scan\n");
    return 2;
  }
  const core::AppConfig config = resolve_config(global);
  review::ReviewOptions options = flags.options;
  options.input = flags.input;
  options.output = flags.scan_only ? std::filesystem::path() : std::filesystem::path(flags.output);
  models::FaceAnalysers analysers = models::load_face_analysers(config);
  review::ReviewSummary summary;
  {
    ProgressLine progress(flags.scan_only ? "scanning" : "reviewing", "frames", flags.events);
    summary = review::review_video(options, analysers, &progress, &interrupt_flag());
  }
  std::printf("%s\n", summary.line().c_str());
  for (const auto& frame : summary.frames) {
    if (frame.reasons.empty()) continue;
    std::string reasons;
    for (const auto reason : frame.reasons) reasons += (reasons.empty() ? "" : ", ") + std::string(to_string(reason));
    std::printf("  frame %lld: %s — %s%s\n", static_cast<long long>(frame.frame), reasons.c_str(),
                std::string(to_string(frame.status)).c_str(),
                frame.chosen ? (" (" + frame.attempts[*frame.chosen].step + ")").c_str() : "");
  }
  return 0;
}

}  // namespace

void add_review_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto flags = std::make_shared<ReviewFlags>();
  review::ReviewOptions& o = flags->options;
  auto* command = app.add_subcommand(
      "review", "Scan a swapped video for weak frames (no face, low confidence or identity, jumps) and repair them");
  command->add_option("input", flags->input, "a video watserface swap wrote (its .swap.json beside it)")->required();
  auto* output = command->add_option(
      "--output", flags->output,
      "the reviewed video (.mp4, .mov, .mkv): the final encode; swap with --lossless for one encode");
  command->add_flag("--scan-only", flags->scan_only, "only scan; the report goes beside the input (INPUT.scan.json)")
      ->excludes(output);
  command
      ->add_option("--min-confidence", o.thresholds.min_confidence,
                   "flag a face the detector is less sure of (it reports faces from 0.5 up)")
      ->check(CLI::Range(0.5, 1.0))
      ->capture_default_str();
  command->add_option("--min-similarity", o.thresholds.min_similarity, "flag a face less like the source than this")
      ->check(CLI::Range(-1.0, 1.0))
      ->capture_default_str();
  command
      ->add_option("--max-jump", o.thresholds.max_jump,
                   "flag a face that jumps more than this many face widths against its neighbours")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--attempts", o.attempts, "repair steps tried per flagged frame, at most")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  command->add_option("--frames", o.frames, "also repair these frames (e.g. --frames 12 40), even when they pass")
      ->delimiter(',');
  command->add_flag("--lossless", o.lossless, "write FFV1 in .mkv: untouched frames come back bit for bit");
  command->add_option("--thumbnail-size", o.thumbnail_size, "before/after thumbnails' side in pixels (0: none)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  command->add_option("--events", flags->events, "also append telemetry to this events.jsonl");
  command->callback([&global, &status, flags] { status = run_review(global, *flags); });
}

}  // namespace wf::app
