#include "jobs/progress_text.h"

#include <cmath>
#include <cstdio>

namespace wf::jobs {

std::string duration_text(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof(text), "%lldh %02lldm", total / 3600, total / 60 % 60);
  } else if (total >= 60) {
    std::snprintf(text, sizeof(text), "%lldm %02llds", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof(text), "%llds", total);
  }
  return text;
}

std::string phase_line(const JobProgress& progress) {
  return "Phase " + std::to_string(progress.phase_index) + "/" + std::to_string(progress.phase_count) + ": " +
         progress.title;
}

std::string step_line(const core::Event& event) {
  std::string text;
  const bool frames = event.phase.name == "extract" || event.phase.name == "swap" || event.phase.name == "review";
  if (event.epoch && event.epochs) {
    text = "Epoch " + std::to_string(*event.epoch) + "/" + std::to_string(*event.epochs);
  } else if (event.step) {
    text = std::string(frames ? "Frame " : "Step ") + std::to_string(*event.step) +
           (event.steps ? "/" + std::to_string(*event.steps) : "");
  }
  if (event.loss) {
    char loss[32];
    std::snprintf(loss, sizeof(loss), "%.4f", *event.loss);
    text += std::string(text.empty() ? "" : " | ") + "Loss: " + loss;
  }
  if (event.eta_s) text += std::string(text.empty() ? "" : " | ") + "ETA: " + duration_text(*event.eta_s);
  return text;
}

std::string event_text(const core::Event& event) {
  if (event.kind == core::EventKind::phase_start) {
    return phase_line({.title = event.message.empty() ? event.phase.name : event.message,
                       .phase_index = event.phase.index,
                       .phase_count = event.phase.count});
  }
  if (event.kind == core::EventKind::step || event.message.empty()) return step_line(event);
  return event.message;
}

}  // namespace wf::jobs
