#include "server/event_stream.h"

#include <httplib.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "core/jsonl.h"

namespace wf::server {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(250);
constexpr auto kKeepAlive = std::chrono::seconds(15);  // a comment line, so a closed tab is noticed

struct StreamState {
  std::filesystem::path database, log;
  std::int64_t job = 0;
  std::uint64_t next_line = 0;
  std::string last_job;
  std::optional<jobs::JobStore> store;  // opened on the thread that streams
  Clock::time_point last_write = Clock::now();
};

bool finished(jobs::JobState state) {
  return state == jobs::JobState::done || state == jobs::JobState::failed || state == jobs::JobState::cancelled;
}

// One round: what is new, or a keep-alive; false when the browser is gone.
bool stream_round(StreamState& state, httplib::DataSink& sink) {
  if (!state.store) state.store.emplace(state.database);
  // The job first: a job seen finished has written its last line.
  const auto job = state.store->job(state.job);
  std::string out;
  const auto lines = core::read_complete_lines(state.log).lines;
  for (std::uint64_t i = state.next_line; i < lines.size(); ++i) {
    out += "id: " + std::to_string(i + 1) + "\nevent: telemetry\ndata: " + lines[i] + "\n\n";
  }
  const bool caught_up = state.next_line >= lines.size();
  state.next_line = std::max<std::uint64_t>(state.next_line, lines.size());
  nlohmann::json record = job ? jobs::to_json(*job) : nlohmann::json();
  if (record.is_object()) record.erase("settings");
  const std::string now = record.dump();
  const bool ended = !job || finished(job->state);
  if (now != state.last_job || (ended && caught_up)) {
    out += std::string(ended && caught_up ? "event: end" : "event: job") + "\ndata: " + now + "\n\n";
    state.last_job = now;
  }
  if (out.empty() && Clock::now() - state.last_write > kKeepAlive) out = ": keep-alive\n\n";
  if (!out.empty()) {
    if (!sink.write(out.data(), out.size())) return false;
    state.last_write = Clock::now();
  }
  if (ended && caught_up) {
    sink.done();
    return true;
  }
  if (out.empty()) std::this_thread::sleep_for(kPoll);
  return true;
}

}  // namespace

void stream_job_events(httplib::Response& response, const ServerContext& context, const jobs::JobRecord& job,
                       std::uint64_t from) {
  auto state = std::make_shared<StreamState>();
  state->database = context.database();
  state->log = jobs::project_paths(context.config.workspace_dir, job.spec.project).events(job.id);
  state->job = job.id;
  state->next_line = from;
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream", [state](std::size_t, httplib::DataSink& sink) { return stream_round(*state, sink); });
}

}  // namespace wf::server
