// The whole pipeline on the test media (the panning group-photo clip as the target, Grace Hopper as the source)
// with the offline engine and the tiny generative models: one call runs Extract -> Identity -> XSeg -> LoRA ->
// Swap -> Review and the events file tells the story in order; a second call finds every phase done; the phase's
// ETA after 10% is checked against the time it really took; and a `watserface run` killed with SIGKILL in the
// middle of identity training resumes from its last checkpoint to the same models as an uninterrupted run.

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "core/events.h"
#include "core/json_io.h"
#include "core/state_dict.h"
#include "dataset/imagefolder.h"
#include "jobs/job_queue.h"
#include "jobs/job_store.h"
#include "jobs/orchestrator.h"
#include "jobs/pipeline_settings.h"
#include "jobs/pipeline_submit.h"
#include "jobs/project.h"
#include "jobs/project_check.h"
#include "support/error_code.h"
#include "support/run_command.h"
#include "support/safetensors_difference.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"
#include "support/tiny_stable_diffusion.h"

namespace wf::jobs {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kSource = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg";

// The clip and the tiny SD folder, made once.
struct Media {
  test::TempDir dir;
  fs::path clip = dir / "party.mkv", sd = dir / "sd";
  Media() {
    test::group_photo_clip(10).write(clip);
    test::write_tiny_stable_diffusion(sd);
  }
};

const Media& media() {
  static const Media instance;
  return instance;
}

// The quick preset sized for the tiny models; identity trains 40 steps with a checkpoint every 10.
nlohmann::json tiny_settings() {
  return {
      {"base_model", media().sd.string()},
      {"extract", {{"crop", 128}}},
      {"identity",
       {{"enabled", true},
        {"epochs", 40},
        {"resolution", 64},
        {"batch", 1},
        {"lr", 1e-3},
        {"checkpoint_every", 10},
        {"resampler", {{"dim", 32}, {"depth", 1}, {"dim_head", 8}, {"heads", 4}, {"num_queries", 4}, {"ff_mult", 2}}}}},
      {"xseg", {{"epochs", 2}, {"resolution", 64}, {"batch", 4}, {"checkpoint_every", 5}}},
      {"lora",
       {{"enabled", true},
        {"rank", 4},
        {"steps", 2},
        {"resolution", 64},
        {"batch", 2},
        {"accumulation", 1},
        {"sample_every", 0}}},
      {"review", {{"min_similarity", 0.3}}}};
}

std::vector<core::Event> events_of(const fs::path& log) {
  return core::read_events(log).events;
}

TEST(Pipeline, OneCallRunsEveryPhaseAndTheEventsTellTheStoryInOrder) {
  test::TempDir workspace;
  const ProjectPaths project = create_project(workspace.path(), "party", {kSource}, media().clip);
  JobStore store(workspace / "watserface.db");
  const nlohmann::json settings = resolve_pipeline_settings("quick", tiny_settings());
  store.add_project("party", settings);
  const std::int64_t id = store.submit({.project = "party", .settings = settings});
  const JobRecord job = *store.claim_next(true, getpid());
  const std::atomic<bool> cancel{false};
  int callbacks = 0;
  double last_progress = 0;
  bool monotonic = true;
  ASSERT_TRUE(
      run_pipeline(store, job, workspace.path(), core::AppConfig::defaults(), cancel, [&](const JobProgress& p) {
        ++callbacks;
        monotonic &= p.progress >= last_progress - 1e-9;
        last_progress = p.progress;
      }));
  EXPECT_TRUE(monotonic) << "the global bar went backwards";
  EXPECT_NEAR(last_progress, 1.0, 1e-9);
  EXPECT_GT(callbacks, 40);

  const auto events = events_of(project.events(id));
  std::vector<std::string> story;
  for (const auto& e : events) {
    EXPECT_EQ(e.job, std::to_string(id));
    EXPECT_EQ(e.phase.count, 6);
    if (e.kind == core::EventKind::phase_start || e.kind == core::EventKind::phase_end) {
      story.push_back(std::string(core::to_string(e.kind)) + " " + std::to_string(e.phase.index) + " " + e.phase.name);
    }
  }
  const std::vector<std::string> expected = {"phase_start 1 extract", "phase_end 1 extract",  "phase_start 2 identity",
                                             "phase_end 2 identity",  "phase_start 3 xseg",   "phase_end 3 xseg",
                                             "phase_start 4 lora",    "phase_end 4 lora",     "phase_start 5 swap",
                                             "phase_end 5 swap",      "phase_start 6 review", "phase_end 6 review"};
  EXPECT_EQ(story, expected);
  int identity_steps = 0, checkpoints = 0;
  for (const auto& e : events) {
    identity_steps += e.phase.name == "identity" && e.kind == core::EventKind::step;
    checkpoints += e.kind == core::EventKind::checkpoint;
  }
  EXPECT_EQ(identity_steps, 40);
  EXPECT_GE(checkpoints, 4);
  EXPECT_TRUE(fs::exists(project.final_video()));
  EXPECT_TRUE(fs::exists(project.root / "outputs" / "final.review.json"));
  EXPECT_TRUE(fs::exists(project.identity_model() / "ip-adapter.safetensors"));
  EXPECT_TRUE(fs::exists(project.lora_model() / "pytorch_lora_weights.safetensors"));
  EXPECT_EQ(store.event_index(id).size(),
            static_cast<std::size_t>(std::count_if(events.begin(), events.end(),
                                                   [](const auto& e) { return e.kind != core::EventKind::step; })));

  // The ETA a quarter into identity training, against the time the rest really took. Its 40 steps of ~40 ms on a
  // shared machine are noisy; the estimator's accuracy is tested on simulated times in test_step_pace.cpp.
  const auto end = std::find_if(events.begin(), events.end(), [](const auto& e) {
    return e.phase.name == "identity" && e.kind == core::EventKind::phase_end;
  });
  const auto quarter = std::find_if(events.begin(), events.end(), [](const auto& e) {
    return e.phase.name == "identity" && e.kind == core::EventKind::step && e.step && e.eta_s && *e.step >= 10;
  });
  ASSERT_NE(quarter, events.end());
  const double real = end->time - quarter->time, predicted = *quarter->eta_s;
  std::cout << "identity ETA at step " << *quarter->step << "/40: " << predicted << " s predicted, " << real
            << " s real (ratio " << predicted / real << ")\n";
  RecordProperty("eta_ratio", std::to_string(predicted / real));
  EXPECT_NEAR(predicted / real, 1.0, 0.4);

  // The same settings again: every phase is found done.
  store.transition(id, JobState::done);
  const std::int64_t again = store.submit({.project = "party", .settings = settings});
  ASSERT_TRUE(
      run_pipeline(store, *store.claim_next(true, getpid()), workspace.path(), core::AppConfig::defaults(), cancel));
  int skipped = 0;
  for (const auto& e : events_of(project.events(again))) {
    EXPECT_NE(e.kind, core::EventKind::step) << "a finished phase ran again: " << e.phase.name;
    skipped += e.kind == core::EventKind::phase_end && e.message.find("skipped") != std::string::npos;
  }
  EXPECT_EQ(skipped, 6);

  // Another XSeg setting: extraction and identity are kept, XSeg trains again from its first step (not from the
  // old run's checkpoint), and every phase after it runs again.
  store.transition(again, JobState::done);
  nlohmann::json changed = settings;
  changed["xseg"]["epochs"] = 3;
  const std::int64_t third = store.submit({.project = "party", .settings = changed});
  ASSERT_TRUE(
      run_pipeline(store, *store.claim_next(true, getpid()), workspace.path(), core::AppConfig::defaults(), cancel));
  std::map<std::string, bool> ran;
  std::optional<std::int64_t> first_xseg_step;
  for (const auto& e : events_of(project.events(third))) {
    if (e.kind == core::EventKind::phase_start) ran[e.phase.name] = true;
    if (e.phase.name == "xseg" && e.kind == core::EventKind::step && !first_xseg_step) first_xseg_step = e.step;
  }
  EXPECT_EQ(ran, (std::map<std::string, bool>{{"xseg", true}, {"lora", true}, {"swap", true}, {"review", true}}));
  EXPECT_EQ(first_xseg_step, 1);
}

TEST(Pipeline, TheLorasOptionsAreCheckedWhenTheJobIsQueuedNotWhenItsPhaseStarts) {
  test::TempDir workspace;
  create_project(workspace.path(), "party", {kSource}, media().clip);
  JobStore store(workspace / "watserface.db");
  nlohmann::json overrides = tiny_settings();
  overrides["lora"]["rank"] = 0;
  std::string message;
  EXPECT_EQ(test::error_code(
                [&] {
                  submit_pipeline(store, core::AppConfig::defaults(), "party",
                                  resolve_pipeline_settings("quick", overrides));
                },
                &message),
            ErrorCode::invalid_input);
  EXPECT_NE(message.find("rank"), std::string::npos) << message;
  EXPECT_TRUE(store.jobs().empty());
}

TEST(Pipeline, CancellingARunningJobStopsItWithinSecondsAndLeavesACheckpoint) {
  test::TempDir workspace;
  const ProjectPaths project = create_project(workspace.path(), "party", {kSource}, media().clip);
  nlohmann::json overrides = tiny_settings();
  overrides["identity"]["epochs"] = 400;
  const nlohmann::json settings = resolve_pipeline_settings("quick", overrides);
  const fs::path database = workspace / "watserface.db";
  JobStore store(database);
  store.add_project("party", settings);
  const std::int64_t id = store.submit({.project = "party", .settings = settings});
  JobQueue queue(database, {{"pipeline", [&](const JobRecord& job, const std::atomic<bool>& cancel) {
                               JobStore own(database);
                               return run_pipeline(own, job, workspace.path(), core::AppConfig::defaults(), cancel);
                             }}});
  queue.start();
  const auto deadline = std::chrono::steady_clock::now() + 300s;
  auto training = [&] {
    if (!fs::exists(project.events(id))) return false;
    for (const auto& e : events_of(project.events(id))) {
      if (e.phase.name == "identity" && e.kind == core::EventKind::step && e.step.value_or(0) >= 3) return true;
    }
    return false;
  };
  while (!training() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(training());
  const auto asked = std::chrono::system_clock::now();
  queue.cancel(id);
  ASSERT_TRUE(queue.wait(id, 30s));
  const double seconds = store.job(id)->finished - std::chrono::duration<double>(asked.time_since_epoch()).count();
  std::cout << "cancelled identity training stopped " << seconds << " s after it was asked\n";
  EXPECT_EQ(store.job(id)->state, JobState::cancelled);
  EXPECT_LT(seconds, 5.0);
  EXPECT_TRUE(fs::exists(project.identity_model() / "checkpoints" / "latest")) << "no checkpoint was left";
  const auto events = events_of(project.events(id));
  EXPECT_EQ(events.back().kind, core::EventKind::warning);
  EXPECT_FALSE(fs::exists(project.phase_stamps() / "identity.json")) << "a stopped phase was stamped done";
  queue.stop();
}

TEST(Pipeline, AKilledRunResumesFromItsLastCheckpointToTheSameModels) {
  test::TempDir dir;
  core::write_json_file(dir / "tiny.json", tiny_settings());
  auto environment = [&](const std::string& home) {
    return std::vector<std::string>{"HOME=" + (dir / home).string(), "XDG_DATA_HOME=" + (dir / home / "data").string(),
                                    "XDG_CONFIG_HOME=" + (dir / home / "config").string()};
  };
  const std::vector<std::string> run = {WF_BINARY,  "run",   "--project",  "party",
                                        "--source", kSource, "--target",   media().clip.string(),
                                        "--preset", "quick", "--settings", (dir / "tiny.json").string()};
  const auto whole = test::run_command(run, environment("whole"));
  ASSERT_EQ(whole.status, 0) << whole.output;
  const fs::path killed_project = dir / "killed/data/watserface/workspace/projects/party";
  {
    test::BackgroundCommand first(run, environment("killed"), dir / "killed.log");
    // Until identity training is three steps past its second checkpoint, then SIGKILL: no chance to clean up.
    const fs::path log = killed_project / "jobs/1/events.jsonl";
    const auto deadline = std::chrono::steady_clock::now() + 300s;
    bool reached = false;
    while (!reached && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      if (!fs::exists(log)) continue;
      for (const auto& e : events_of(log)) {
        reached |= e.phase.name == "identity" && e.kind == core::EventKind::step && e.step.value_or(0) >= 23;
      }
    }
    ASSERT_TRUE(reached) << test::read_text(dir / "killed.log");
    first.send_signal(SIGKILL);
    first.wait();
  }
  const auto before = events_of(killed_project / "jobs/1/events.jsonl");
  std::int64_t last_checkpoint = 0, last_step = 0;
  for (const auto& e : before) {
    if (e.phase.name != "identity") continue;
    if (e.kind == core::EventKind::checkpoint) last_checkpoint = std::max(last_checkpoint, e.step.value_or(0));
    if (e.kind == core::EventKind::step) last_step = std::max(last_step, e.step.value_or(0));
  }
  ASSERT_LT(last_step, 40) << "the run finished identity before it was killed";
  const auto interrupted = check_project({killed_project});
  for (const auto& problem : interrupted) ADD_FAILURE() << "killed: " << problem.path << ": " << problem.what;
  const auto resumed = test::run_command({WF_BINARY, "jobs", "work"}, environment("killed"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  const auto after = events_of(killed_project / "jobs/1/events.jsonl");
  // The first identity step after the restart follows the last checkpoint: at most one interval was lost.
  std::optional<std::int64_t> first_again;
  for (std::size_t i = before.size(); i < after.size(); ++i) {
    if (after[i].phase.name == "identity" && after[i].kind == core::EventKind::step && !first_again) {
      first_again = after[i].step;
    }
  }
  ASSERT_TRUE(first_again);
  std::cout << "killed at identity step " << last_step << " (last checkpoint " << last_checkpoint
            << "); resumed at step " << *first_again << "\n";
  EXPECT_EQ(*first_again, last_checkpoint + 1);
  EXPECT_LE(last_step - last_checkpoint, 10);
  const fs::path whole_project = dir / "whole/data/watserface/workspace/projects/party";
  for (const char* model :
       {"models/identity/ip-adapter.safetensors", "models/identity/controlnet/diffusion_pytorch_model.safetensors",
        "models/xseg/model.safetensors", "models/lora/pytorch_lora_weights.safetensors"}) {
    const double difference = test::largest_difference(whole_project / model, killed_project / model);
    std::cout << model << ": largest difference to the uninterrupted run " << difference << "\n";
    EXPECT_LE(difference, 1e-6) << model;
  }
  const auto listed = test::run_command({WF_BINARY, "jobs", "list"}, environment("killed"));
  EXPECT_NE(listed.output.find("done"), std::string::npos) << listed.output;
  EXPECT_TRUE(check_project({killed_project}).empty());

  // What the check finds once files are damaged: each by its path, through `watserface doctor --project`.
  const auto clean = test::run_command({WF_BINARY, "doctor", "--project", "party"}, environment("whole"));
  EXPECT_EQ(clean.status, 0) << clean.output;
  EXPECT_NE(clean.output.find("Project party: every file opens"), std::string::npos) << clean.output;
  const std::vector<fs::path> damaged = {
      whole_project / "target/dataset" / dataset::read_records(whole_project / "target/dataset").front().file_name(),
      whole_project / "models/xseg/model.safetensors",
      whole_project / "models/identity/checkpoints/step-000000040/model.safetensors"};
  for (const auto& file : damaged) ASSERT_TRUE(fs::exists(file)) << file;
  fs::resize_file(damaged[0], fs::file_size(damaged[0]) / 2);  // a copy cut short
  fs::resize_file(damaged[1], fs::file_size(damaged[1]) / 2);
  std::string checkpoint = test::read_text(damaged[2]);
  checkpoint[checkpoint.size() - 5] ^= 0x5a;  // one bit of a weight: the file still parses
  test::write_text(damaged[2], checkpoint);
  const auto found = test::run_command({WF_BINARY, "doctor", "--project", "party"}, environment("whole"));
  EXPECT_EQ(found.status, 1) << found.output;
  EXPECT_NE(found.output.find("3 damaged or missing"), std::string::npos) << found.output;
  for (const auto& file : damaged) EXPECT_NE(found.output.find(file.string() + ": "), std::string::npos) << file;
}

}  // namespace
}  // namespace wf::jobs
