// The job database and the queue without media: schema migrations keep data, every transition is persisted and
// the illegal ones refused, a dead process's running job is queued again, two heavy jobs run one after the
// other, a cancelled queued job never starts, and a running one stops within a few seconds.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "core/error.h"
#include "jobs/job_queue.h"
#include "jobs/job_store.h"
#include "jobs/pipeline_settings.h"
#include "jobs/progress_text.h"
#include "jobs/sqlite_db.h"
#include "support/error_code.h"
#include "support/temp_dir.h"

namespace wf::jobs {
namespace {
using namespace std::chrono_literals;

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(JobStore, TransitionsArePersistedAndIllegalOnesRefused) {
  test::TempDir dir;
  std::int64_t id = 0;
  {
    JobStore store(dir / "w.db");
    store.add_project("party", {{"preset", "quick"}});
    id = store.submit({.project = "party"});
    store.transition(id, JobState::running);
    store.set_progress(id, {"xseg", 3, 5}, 0.5, 42.0);
    core::Event event;
    event.kind = core::EventKind::checkpoint;
    event.phase = {"xseg", 3, 5};
    event.step = 7;
    event.time = 1;
    store.index_event(id, 12, event);
  }
  JobStore store(dir / "w.db");  // a new connection (another process) sees it all
  const auto job = store.job(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::running);
  EXPECT_EQ(job->pid, getpid());
  EXPECT_EQ(job->phase, "xseg");
  EXPECT_EQ(job->phase_index, 3);
  EXPECT_DOUBLE_EQ(job->progress, 0.5);
  EXPECT_EQ(job->eta_s, 42.0);
  EXPECT_EQ(store.project("party")->at("preset"), "quick");
  const auto index = store.event_index(id);
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].line, 12);
  EXPECT_EQ(index[0].kind, "checkpoint");
  EXPECT_EQ(index[0].step, 7);
  store.transition(id, JobState::done);
  std::string message;
  EXPECT_EQ(test::error_code([&] { store.transition(id, JobState::running); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("is done and cannot become running"), std::string::npos) << message;
  EXPECT_EQ(test::error_code([&] { store.submit({.project = "nobody"}); }, &message), ErrorCode::not_found);
  EXPECT_GT(store.job(id)->finished, 0);
  // A running job is never queued again by hand (only recovery does that, for a dead owner).
  const std::int64_t live = store.submit({.project = "party"});
  store.transition(live, JobState::running);
  EXPECT_EQ(test::error_code([&] { store.transition(live, JobState::queued); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("is running and cannot become queued"), std::string::npos) << message;
}

TEST(JobStore, AProjectHasOneLiveJobHoweverJobsAreQueuedOrResumed) {
  test::TempDir dir;
  JobStore store(dir / "w.db");
  store.add_project("party", {});
  const std::int64_t first = store.submit_exclusive({.project = "party"});
  EXPECT_EQ(test::error_code([&] { store.submit_exclusive({.project = "party"}); }), ErrorCode::invalid_input);
  store.transition(first, JobState::running);
  store.transition(first, JobState::paused);
  const std::int64_t second = store.submit_exclusive({.project = "party"});
  store.transition(second, JobState::running);
  store.transition(second, JobState::failed, "boom");
  store.resume_exclusive(first);
  EXPECT_EQ(store.job(first)->state, JobState::queued);
  std::string message;
  EXPECT_EQ(test::error_code([&] { store.resume_exclusive(second); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("already has job " + std::to_string(first)), std::string::npos) << message;
  EXPECT_EQ(store.job(second)->state, JobState::failed) << "a refused resume changes nothing";
  store.add_project("other", {});
  EXPECT_NO_THROW(store.submit_exclusive({.project = "other"}));
}

TEST(JobStore, AVersionOneDatabaseIsMigratedWithItsDataAndANewerOneRefused) {
  test::TempDir dir;
  {
    SqliteDb db(dir / "old.db");
    db.exec(
        "CREATE TABLE projects (name TEXT PRIMARY KEY, created REAL NOT NULL, settings TEXT NOT NULL);"
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, project TEXT NOT NULL REFERENCES projects(name),"
        " kind TEXT NOT NULL, heavy INTEGER NOT NULL, state TEXT NOT NULL, settings TEXT NOT NULL,"
        " created REAL NOT NULL, started REAL, finished REAL, error TEXT NOT NULL DEFAULT '',"
        " pid INTEGER NOT NULL DEFAULT 0, request TEXT NOT NULL DEFAULT '', phase TEXT NOT NULL DEFAULT '',"
        " phase_index INTEGER NOT NULL DEFAULT 0, phase_count INTEGER NOT NULL DEFAULT 0,"
        " progress REAL NOT NULL DEFAULT 0, eta REAL);"
        "CREATE INDEX jobs_by_state ON jobs(state, heavy, id);"
        "INSERT INTO projects VALUES ('old', 1, '{}');"
        "INSERT INTO jobs(project, kind, heavy, state, settings, created) VALUES ('old', 'pipeline', 1, 'paused', "
        "'{}', 1);"
        "PRAGMA user_version = 1;");
  }
  JobStore store(dir / "old.db");
  ASSERT_EQ(store.jobs().size(), 1u);
  EXPECT_EQ(store.jobs()[0].state, JobState::paused);
  store.set_setting("theme", "dark");
  EXPECT_EQ(store.setting("theme"), "dark");
  EXPECT_TRUE(store.event_index(1).empty());
  SqliteDb(dir / "old.db").exec("PRAGMA user_version = 99");
  std::string message;
  EXPECT_EQ(test::error_code([&] { JobStore newer(dir / "old.db"); }, &message), ErrorCode::unsupported);
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
}

TEST(JobStore, JobsWhoseOwnerIsGoneAreQueuedAgainOrEndAsTheUserAsked) {
  test::TempDir dir;
  JobStore store(dir / "w.db");
  store.add_project("p", {});
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // a pid that is certainly gone
  const std::int64_t alive = store.submit({.project = "p", .heavy = false});
  ASSERT_EQ(store.claim_next(false, getpid())->id, alive);
  const std::int64_t orphan = store.submit({.project = "p"});
  ASSERT_EQ(store.claim_next(true, child)->id, orphan);
  EXPECT_EQ(store.recover_orphans(), std::vector<std::int64_t>{orphan});
  EXPECT_EQ(store.job(orphan)->state, JobState::queued);
  EXPECT_NE(store.job(orphan)->error.find("resumed"), std::string::npos);
  EXPECT_EQ(store.job(alive)->state, JobState::running);
  // A live pid with no heartbeat (a reused pid, another container's process) is no owner either.
  SqliteDb(dir / "w.db").run("UPDATE jobs SET heartbeat = 0 WHERE id = ?", {alive});
  EXPECT_EQ(store.recover_orphans(), std::vector<std::int64_t>{alive});
  // A cancel asked while its process was gone holds; the third death fails the job instead of looping.
  ASSERT_EQ(store.claim_next(true, child)->id, orphan);
  store.control(orphan, ControlRequest::cancel);
  EXPECT_TRUE(store.recover_orphans().empty());
  EXPECT_EQ(store.job(orphan)->state, JobState::cancelled);
  for (int death = 2; death <= 3; ++death) {  // `alive` lost its owner once already
    ASSERT_EQ(store.claim_next(false, child)->id, alive);
    store.recover_orphans();
  }
  EXPECT_EQ(store.job(alive)->state, JobState::failed);
  EXPECT_NE(store.job(alive)->error.find("stopped 3 times"), std::string::npos) << store.job(alive)->error;
}

// `watserface jobs cancel` of a job left running by a killed process: no worker will ever see the request, so it is
// carried out at once (as recovery would); a live owner still gets it as a request.
TEST(JobStore, ACancelOrPauseOfAJobWhoseOwnerIsGoneIsCarriedOutAtOnce) {
  test::TempDir dir;
  JobStore store(dir / "w.db");
  store.add_project("p", {});
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  const std::int64_t cancelled = store.submit({.project = "p"});
  ASSERT_EQ(store.claim_next(true, child)->id, cancelled);
  store.control(cancelled, ControlRequest::cancel);
  EXPECT_EQ(store.job(cancelled)->state, JobState::cancelled);
  const std::int64_t paused = store.submit({.project = "p"});
  ASSERT_EQ(store.claim_next(true, child)->id, paused);
  store.control(paused, ControlRequest::pause);
  EXPECT_EQ(store.job(paused)->state, JobState::paused);
  EXPECT_FALSE(store.live_job("p")) << "the project is free for the next run";
  const std::int64_t alive = store.submit({.project = "p"});
  ASSERT_EQ(store.claim_next(true, getpid())->id, alive);
  store.control(alive, ControlRequest::cancel);
  EXPECT_EQ(store.job(alive)->state, JobState::running);
  EXPECT_EQ(store.requested(alive), ControlRequest::cancel);
}

TEST(JobStore, ProcessesOpeningANewWorkspaceAtOnceMigrateItOnce) {
  test::TempDir dir;
  std::vector<pid_t> children;
  for (int i = 0; i < 6; ++i) {
    const pid_t child = fork();
    if (child == 0) {
      try {
        JobStore store(dir / "w.db");
        store.add_project("p" + std::to_string(i), {});
        _exit(0);
      } catch (...) {
        _exit(1);
      }
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a process failed to open the new database";
  }
  EXPECT_EQ(JobStore(dir / "w.db").projects().size(), 6u);
}

// A job that counts to settings.steps, a step every 50 ms, stopping when asked.
bool counting(const JobRecord& job, const std::atomic<bool>& cancel) {
  for (int i = 0; i < job.spec.settings.value("steps", 10); ++i) {
    if (cancel) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

TEST(JobQueue, HeavyJobsRunOneAfterTheOtherAndCancelStopsThem) {
  test::TempDir dir;
  JobStore store(dir / "w.db");
  store.add_project("p", {});
  const auto first = store.submit({.project = "p", .kind = "count", .settings = {{"steps", 10}}});
  const auto second = store.submit({.project = "p", .kind = "count", .settings = {{"steps", 10}}});
  const auto never = store.submit({.project = "p", .kind = "count", .settings = {{"steps", 10}}});
  const auto stopped = store.submit({.project = "p", .kind = "count", .settings = {{"steps", 100000}}});
  JobQueue queue(dir / "w.db", {{"count", counting}});
  queue.cancel(never);  // queued: it must never start
  queue.start();
  ASSERT_TRUE(queue.wait(first, 20s));
  ASSERT_TRUE(queue.wait(second, 20s));
  const auto a = *store.job(first), b = *store.job(second);
  EXPECT_EQ(a.state, JobState::done);
  EXPECT_EQ(b.state, JobState::done);
  EXPECT_GE(b.started, a.finished) << "two heavy jobs ran at once";
  EXPECT_EQ(store.job(never)->state, JobState::cancelled);
  EXPECT_EQ(store.job(never)->started, 0) << "a cancelled queued job started";
  while (store.job(stopped)->state != JobState::running) std::this_thread::sleep_for(20ms);
  const double asked = now();
  queue.cancel(stopped);
  ASSERT_TRUE(queue.wait(stopped, 5s));
  EXPECT_EQ(store.job(stopped)->state, JobState::cancelled);
  EXPECT_LT(store.job(stopped)->finished - asked, 3.0);
  // Pause and resume.
  const auto held = store.submit({.project = "p", .kind = "count", .settings = {{"steps", 100000}}});
  while (store.job(held)->state != JobState::running) std::this_thread::sleep_for(20ms);
  queue.pause(held);
  ASSERT_TRUE(queue.wait(held, 5s));
  EXPECT_EQ(store.job(held)->state, JobState::paused);
  queue.resume(held);
  while (store.job(held)->state != JobState::running) std::this_thread::sleep_for(20ms);
  queue.cancel(held);
  ASSERT_TRUE(queue.wait(held, 5s));
  EXPECT_EQ(store.job(held)->state, JobState::cancelled);
  queue.stop();
}

TEST(PipelineSettings, PresetsAndOverridesResolveAndUnknownKeysAreNamed) {
  const auto standard = resolve_pipeline_settings("standard", {});
  EXPECT_EQ(standard.at("identity").at("epochs"), 100);
  EXPECT_EQ(standard.at("xseg").at("epochs"), 50);
  EXPECT_EQ(standard.at("lora").at("rank"), 16);
  EXPECT_EQ(standard.at("xseg").at("batch"), "auto");
  const auto quick = resolve_pipeline_settings("quick", {{"xseg", {{"epochs", 3}, {"batch", 2}}}});
  EXPECT_EQ(quick.at("xseg").at("epochs"), 3);
  EXPECT_EQ(quick.at("xseg").at("batch"), 2);
  EXPECT_EQ(quick.at("identity").at("epochs"), 10);
  std::string message;
  EXPECT_EQ(test::error_code(
                [&] {
                  resolve_pipeline_settings("quick", {{"xseg", {{"epoch", 3}}}});
                },
                &message),
            ErrorCode::invalid_input);
  EXPECT_NE(message.find("xseg.epoch"), std::string::npos) << message;
  EXPECT_EQ(test::error_code(
                [&] {
                  resolve_pipeline_settings("quick", {{"xseg", {{"epochs", "many"}}}});
                },
                &message),
            ErrorCode::invalid_input);
  EXPECT_EQ(test::error_code([&] { resolve_pipeline_settings("fast", {}); }), ErrorCode::invalid_input);
  // A merge patch's null puts the default back.
  EXPECT_EQ(resolve_pipeline_settings("quick", {{"xseg", {{"batch", nullptr}}}}).at("xseg").at("batch"), "auto");
  EXPECT_EQ(test::error_code([&] {
              resolve_pipeline_settings("quick", {{"xseg", {{"batch", 2.5}}}});
            }),
            ErrorCode::invalid_input);
  EXPECT_EQ(setting_patch("xseg.epochs=10"), (nlohmann::json{{"xseg", {{"epochs", 10}}}}));
  EXPECT_EQ(setting_patch("lora.enabled=true"), (nlohmann::json{{"lora", {{"enabled", true}}}}));
  EXPECT_EQ(setting_patch("swap.engine=generative"), (nlohmann::json{{"swap", {{"engine", "generative"}}}}));
  for (const char* bad : {".epochs=1", "xseg..epochs=1", "xseg.epochs", "=3", "xseg.=1"}) {
    EXPECT_EQ(test::error_code([&] { setting_patch(bad); }), ErrorCode::invalid_input) << bad;
  }
}

TEST(PipelineSettings, XSegNumbersOutOfRangeAreRefusedWhenResolvedNamingTheSettingAndItsRange) {
  // Each as --set gives it: refused before a job is queued, not when the XSeg phase starts.
  const std::vector<std::pair<std::string, std::string>> bad{
      {"xseg.epochs=-1", "at least 1"},
      {"xseg.epochs=1e300", "whole number"},
      {"xseg.epochs=0", "at least 1"},
      {"xseg.resolution=7", "at least 32"},
      {"xseg.resolution=100000", "at most 1024"},
      {"xseg.resolution=100", "multiple of 32"},
      {"xseg.batch=0", "at least 1"},
      {"xseg.lr=-0.1", "at least"},
      {"xseg.checkpoint_every=-3", "at least 0"},
      {"xseg.seed=-1", "at least 0"},
  };
  for (const auto& [assignment, words] : bad) {
    try {
      resolve_pipeline_settings("standard", setting_patch(assignment));
      ADD_FAILURE() << assignment << " was accepted";
    } catch (const Error& e) {
      const std::string setting = assignment.substr(0, assignment.find('='));
      EXPECT_EQ(e.code(), ErrorCode::invalid_input) << assignment;
      EXPECT_NE(e.message().find("option " + setting + " "), std::string::npos) << e.message();
      EXPECT_NE(e.message().find(words), std::string::npos) << e.message();
      EXPECT_NE(e.hint().find(" to "), std::string::npos) << assignment << ": the range is not named: " << e.hint();
    }
  }
  for (const char* good :
       {"xseg.epochs=1", "xseg.resolution=1024", "xseg.batch=\"auto\"", "xseg.batch=8", "xseg.lr=0.01"}) {
    EXPECT_NO_THROW(resolve_pipeline_settings("quick", setting_patch(good))) << good;
  }
}

TEST(ProgressText, TheLinesReadAsThePrdShowsThem) {
  const JobProgress progress{
      .title = "Training Identity Adapter", .phase_index = 2, .phase_count = 5, .job_eta_s = {}, .event = nullptr};
  EXPECT_EQ(phase_line(progress), "Phase 2/5: Training Identity Adapter");
  core::Event event;
  event.phase = {"identity", 2, 5};
  event.epoch = 47;
  event.epochs = 100;
  event.loss = 0.0234;
  event.eta_s = 754;
  EXPECT_EQ(step_line(event), "Epoch 47/100 | Loss: 0.0234 | ETA: 12m 34s");
  event.epoch.reset();
  event.step = 30;
  event.steps = 240;
  event.loss.reset();
  event.phase.name = "swap";
  event.eta_s = 3700;
  EXPECT_EQ(step_line(event), "Frame 30/240 | ETA: 1h 01m");
}

}  // namespace
}  // namespace wf::jobs
