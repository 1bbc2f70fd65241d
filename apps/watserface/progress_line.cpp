#include "progress_line.h"

#include <algorithm>
#include <cstdio>

namespace wf::app {

ProgressLine::ProgressLine(std::string what, std::string unit, const std::string& events_file)
    : what_(std::move(what)), unit_(std::move(unit)) {
  if (!events_file.empty()) log_ = std::make_unique<core::EventLog>(events_file);
}

ProgressLine::~ProgressLine() { std::fprintf(stderr, "\n"); }

void ProgressLine::emit(const core::Event& event) {
  if (log_) log_->emit(event);
  if (event.kind == core::EventKind::warning || event.kind == core::EventKind::epoch ||
      event.kind == core::EventKind::sample) {
    std::fprintf(stderr, "\n%s: %s\n", std::string(core::to_string(event.kind)).c_str(), event.message.c_str());
    return;
  }
  if (event.kind != core::EventKind::step) return;
  const auto done = event.step.value_or(0);
  std::string bar;
  if (event.steps && *event.steps > 0) {
    const auto filled = static_cast<std::size_t>(24 * std::min<std::int64_t>(done, *event.steps) / *event.steps);
    bar = "[" + std::string(filled, '#') + std::string(24 - filled, '.') + "] " + std::to_string(done) + "/" +
          std::to_string(*event.steps);
  } else {
    bar = std::to_string(done);
  }
  std::fprintf(stderr, "\r%s %s %s  %.1f %s/s", what_.c_str(), bar.c_str(), unit_.c_str(), event.items_per_s.value_or(0),
               unit_.c_str());
  if (event.loss) std::fprintf(stderr, "  loss %.4f", *event.loss);
  if (event.eta_s) {
    const auto eta = static_cast<long long>(*event.eta_s + 0.5);
    std::fprintf(stderr, "  ETA %lld:%02lld", eta / 60, eta % 60);
  }
  std::fprintf(stderr, "   ");
  std::fflush(stderr);
}

}  // namespace wf::app
