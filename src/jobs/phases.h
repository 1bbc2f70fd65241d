#pragma once
// The pipeline's phases (PRD §3): Extraction -> Identity -> XSeg -> LoRA (optional) -> Swap -> Review. Each reads
// the files the one before wrote in the project and writes its own there, so each can be resumed on its own and a
// finished one is never run again (the orchestrator stamps it done with the settings it ran with). A new phase
// plugs in by implementing Phase and joining plan_phases (pipeline_options.h) and plan_pipeline.

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/events.h"
#include "jobs/pipeline_options.h"
#include "jobs/project.h"
#include "models/face_analysers.h"

namespace wf::jobs {

struct PhaseContext {
  const ProjectPaths& project;
  const nlohmann::json& settings;  // the job's resolved pipeline settings (pipeline_settings.h)
  const core::AppConfig& config;
  core::EventSink& events;  // what the phase reports; the orchestrator labels it with the phase's place
  const std::atomic<bool>& cancel;
  std::optional<models::FaceAnalysers>& analysers;  // loaded by the first phase that needs them
  // A phase made of passes that each count their own steps (extraction: source, then target) says which one
  // runs, so the progress bar moves on instead of starting over.
  std::function<void(int index, int count)> pass;

  models::FaceAnalysers& face_analysers();
};

class Phase {
 public:
  explicit Phase(PlannedPhase plan) : plan_(std::move(plan)) {}
  virtual ~Phase() = default;
  const std::string& name() const { return plan_.name; }    // "identity": the telemetry's phase name
  const std::string& title() const { return plan_.title; }  // "Training Identity Adapter": the progress line's
  double weight() const { return plan_.weight; }            // its expected share of the job's time
  // What decides its result (its settings, the models and media it reads): a finished phase whose inputs
  // changed runs again.
  virtual nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& project) const = 0;
  // What a run with other inputs must start without (model folders and their checkpoints, datasets).
  virtual std::vector<std::filesystem::path> outputs(const ProjectPaths& project) const = 0;
  // Runs to the end (true) or until `cancel` turns true, its work checkpointed for a resume (false).
  virtual bool run(PhaseContext& context) = 0;

 private:
  PlannedPhase plan_;
};

// The phases of plan_phases(settled), ready to run.
std::vector<std::unique_ptr<Phase>> plan_pipeline(const nlohmann::json& settled);

}  // namespace wf::jobs
