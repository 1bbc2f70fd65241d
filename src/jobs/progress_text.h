#pragma once
// The two progress lines the PRD shows, in the CLI and the UI alike:
//   "Phase 2/5: Training Identity Adapter"            (with the global bar's percentage)
//   "Epoch 47/100 | Loss: 0.0234 | ETA: 12m 34s"      (or "Step 120/800 | ...", "Frame 30/240 | ...")

#include <string>

#include "jobs/orchestrator.h"

namespace wf::jobs {

std::string phase_line(const JobProgress& progress);
std::string step_line(const core::Event& event);
std::string duration_text(double seconds);  // "12m 34s", "1h 05m", "42s"

}  // namespace wf::jobs
