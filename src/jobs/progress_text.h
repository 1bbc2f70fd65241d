#pragma once
// The two progress lines the PRD shows, in the CLI and the UI alike (the server sends them with each event):
//   "Phase 2/5: Training Identity Adapter"            (with the global bar's percentage)
//   "Epoch 47/100 | Loss: 0.0234 | ETA: 12m 34s"      (or "Step 120/800 | ...", "Frame 30/240 | ...")

#include <string>

#include "jobs/orchestrator.h"

namespace wf::jobs {

std::string phase_line(const JobProgress& progress);
std::string step_line(const core::Event& event);
std::string duration_text(double seconds);  // "12m 34s", "1h 05m", "42s"
// What a progress display says of one telemetry event: a phase start's phase line, a step's step line, else the
// event's message (or its step line when it has none). The browser shows these as the server words them.
std::string event_text(const core::Event& event);

}  // namespace wf::jobs
