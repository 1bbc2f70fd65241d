#pragma once
// The pipeline's phases (PRD §3): Extraction -> Identity -> XSeg -> LoRA (optional) -> Swap -> Review. Each reads
// the files the one before wrote in the project and writes its own there, so each can be resumed on its own and a
// finished one is never run again (the orchestrator stamps it done with the settings it ran with). A new phase
// plugs in by implementing Phase and joining plan_pipeline.

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/events.h"
#include "extract/face_analysers.h"
#include "jobs/project.h"
#include "swap/swap_options.h"

namespace wf::jobs {

struct PhaseContext {
  const ProjectPaths& project;
  const nlohmann::json& settings;  // the job's resolved pipeline settings (pipeline_settings.h)
  const core::AppConfig& config;
  core::EventSink& events;  // what the phase reports; the orchestrator labels it with the phase's place
  const std::atomic<bool>& cancel;
  std::optional<extract::FaceAnalysers>& analysers;  // loaded by the first phase that needs them
  // A phase made of passes that each count their own steps (extraction: source, then target) says which one
  // runs, so the progress bar moves on instead of starting over.
  std::function<void(int index, int count)> pass;

  extract::FaceAnalysers& face_analysers();
};

class Phase {
 public:
  virtual ~Phase() = default;
  virtual std::string name() const = 0;   // "identity": the telemetry's phase name
  virtual std::string title() const = 0;  // "Training Identity Adapter": what the progress line says
  virtual double weight() const = 0;      // its expected share of the job's time, for the global bar
  // What decides its result (its settings, the models and media it reads): a finished phase whose inputs
  // changed runs again.
  virtual nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& project) const = 0;
  // What a run with other inputs must start without (model folders and their checkpoints, datasets).
  virtual std::vector<std::filesystem::path> outputs(const ProjectPaths& project) const = 0;
  // Runs to the end (true) or until `cancel` turns true, its work checkpointed for a resume (false).
  virtual bool run(PhaseContext& context) = 0;
};

// The settings with every "auto" decided for this machine (identity: trained when the swap is generative), so a
// job runs the same phases however the machine changes before it resumes. Throws wf::Error(missing_model) when
// the generative engine or an enabled identity/LoRA phase needs SD 1.5 and none is installed (or the one named
// is not there).
nlohmann::json settle_pipeline(const nlohmann::json& settings, const core::AppConfig& config);

// Throws, before a job is queued, what a phase would throw when it starts for its options (the LoRA's, checked by
// the trainer's own schema: an unknown option, a value out of range).
void check_phase_options(const ProjectPaths& project, const nlohmann::json& settings, const core::AppConfig& config);

// The swap phase's options under settled settings: what the Swap page's one-frame preview swaps with.
swap::SwapOptions pipeline_swap_options(const ProjectPaths& project, const nlohmann::json& settings,
                                        const core::AppConfig& config);

// The phases settled settings call for, in order.
std::vector<std::unique_ptr<Phase>> plan_pipeline(const nlohmann::json& settings, const core::AppConfig& config);

}  // namespace wf::jobs
