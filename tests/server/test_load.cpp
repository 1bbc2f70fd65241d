// Twenty browser-like clients at once while a job trains: ten follow its event stream to the end, ten poll the
// project and the job as the pages do. Every request is answered, every stream gets every event, and the
// server's memory does not grow while the load goes on. The latencies are reported, not judged: speed belongs
// to the benchmarks.

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "running_server.h"
#include "support/synthetic_clip.h"

namespace wf::server {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / double(1 << 20);
}

TEST(Load, TwentyClientsFollowAndPollAJobAndEveryOneIsAnswered) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  const fs::path clip = dir / "party.mkv";
  test::group_photo_clip(8).write(clip);
  RunningServer server(config);
  auto client = server.client();
  make_project(client, {"/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"}, clip);
  const auto queued = client.Post("/api/v1/projects/p/jobs",
                                  R"({"preset": "quick", "stop_after": "xseg", "settings": {"xseg": {"epochs": 8}}})",
                                  "application/json");
  ASSERT_EQ(queued->status, 201) << queued->body;
  const std::string id = std::to_string(json_of(queued).at("id").get<int>());

  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> latencies(10);
  std::vector<std::size_t> streamed(10, 0);
  std::vector<double> memory;
  std::vector<std::thread> clients;
  for (int i = 0; i < 10; ++i) {
    clients.emplace_back([&, i] {
      auto follower = server.client();
      std::string text;
      const auto result =
          follower.Get(("/api/v1/jobs/" + id + "/events").c_str(), [&](const char* data, std::size_t n) {
            text.append(data, n);
            return true;
          });
      if (!result || result->status != 200) ++failures;
      for (std::size_t at = text.find("event: telemetry"); at != std::string::npos;
           at = text.find("event: telemetry", at + 1)) {
        ++streamed[i];
      }
    });
    clients.emplace_back([&, i] {
      auto poller = server.client();
      while (!done) {
        for (const std::string& path : {std::string("/api/v1/projects/p"), "/api/v1/jobs/" + id}) {
          const auto start = Clock::now();
          const auto result = poller.Get(path.c_str());
          latencies[i].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
          if (!result || result->status != 200) ++failures;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  // The job's end, watched as a page would; memory sampled once a second meanwhile.
  for (auto last = Clock::now();;) {
    const auto job = json_of(client.Get(("/api/v1/jobs/" + id).c_str()));
    if (job.at("state") != "queued" && job.at("state") != "running") {
      EXPECT_EQ(job.at("state"), "done") << job.dump();
      break;
    }
    if (Clock::now() - last > std::chrono::seconds(1)) {
      memory.push_back(resident_mib());
      last = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // The load goes on a while after the job: the server alone must not grow.
  const double settled = resident_mib();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const double later = resident_mib();
  done = true;
  for (auto& t : clients) t.join();

  EXPECT_EQ(failures, 0);
  const std::string log = test::read_text(config.workspace_dir / "projects/p/jobs" / id / "events.jsonl");
  const auto lines = static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n'));
  for (const std::size_t got : streamed) EXPECT_EQ(got, lines) << "every stream gets every event";
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  ASSERT_GT(all.size(), 100u);
  std::sort(all.begin(), all.end());
  const double p50 = all[all.size() / 2], p99 = all[all.size() * 99 / 100];
  std::cout << all.size() << " polls while the job ran: p50 " << p50 << " ms, p99 " << p99 << " ms; resident "
            << settled << " MiB after the job, " << later << " MiB 3 s of load later\n";
  RecordProperty("p99_ms", std::to_string(p99));
  EXPECT_LT(p99, 5000.0) << "the server stayed responsive";
  EXPECT_LT(later - settled, 16.0) << "memory stays flat under the load";
}

}  // namespace
}  // namespace wf::server
