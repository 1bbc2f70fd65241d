#include "server/event_stream.h"

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "core/log.h"
#include "jobs/progress_text.h"
#include "server/request_edge.h"

namespace wf::server {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(250);
constexpr auto kKeepAlive = std::chrono::seconds(15);  // a comment line, so a closed tab is noticed

struct StreamState {
  std::filesystem::path database, log;
  std::int64_t job = 0;
  std::uint64_t from = 0;        // lines the browser has (Last-Event-ID): not sent again
  std::uint64_t lines_read = 0;  // complete lines of events.jsonl read so far
  std::uint64_t offset = 0;      // the bytes they span
  std::string last_job;
  std::optional<jobs::JobStore> store;  // opened on the thread that streams
  Clock::time_point last_write = Clock::now();
  std::shared_ptr<void> slot;
};

// A stream ends with the job's run: done, failed, cancelled, or paused (the page follows it again on resume).
bool stopped(jobs::JobState state) {
  return state != jobs::JobState::queued && state != jobs::JobState::running;
}

// The complete lines of events.jsonl past what was read; a line still being written stays for the next round.
std::vector<std::string> new_lines(StreamState& state) {
  std::ifstream in(state.log, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(state.offset));
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  std::vector<std::string> lines;
  std::size_t begin = 0;
  for (std::size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    lines.push_back(text.substr(begin, end - begin));
  }
  state.offset += begin;
  return lines;
}

// A telemetry line with the words a progress display shows for it ("text": jobs/progress_text.h), so the browser
// says what the CLI says; a line that is not an event goes as it is.
std::string with_text(const std::string& line) {
  nlohmann::json value = nlohmann::json::parse(line, nullptr, false);
  if (!value.is_object()) return line;
  try {
    value["text"] = jobs::event_text(core::Event::from_json(value));
  } catch (const std::exception&) {
    return line;
  }
  return answer_text(value);
}

// One round: what is new, or a keep-alive; false when the browser is gone.
bool stream_round(StreamState& state, httplib::DataSink& sink) {
  if (!state.store) state.store.emplace(state.database);
  // The job first: a job seen stopped has written its last line.
  const auto job = state.store->job(state.job);
  std::string out;
  const std::vector<std::string> lines = new_lines(state);
  for (const auto& line : lines) {
    if (++state.lines_read <= state.from) continue;
    out += "id: " + std::to_string(state.lines_read) + "\nevent: telemetry\ndata: " + with_text(line) + "\n\n";
  }
  nlohmann::json record = job ? jobs::to_json(*job) : nlohmann::json();
  if (record.is_object()) record.erase("settings");
  const std::string now = answer_text(record);  // a job's error may name a file that is not UTF-8
  const bool ended = (!job || stopped(job->state)) && lines.empty();
  if (now != state.last_job || ended) {
    out += std::string(ended ? "event: end" : "event: job") + "\ndata: " + now + "\n\n";
    state.last_job = now;
  }
  if (out.empty() && Clock::now() - state.last_write > kKeepAlive) out = ": keep-alive\n\n";
  if (!out.empty()) {
    if (!sink.write(out.data(), out.size())) return false;
    state.last_write = Clock::now();
  }
  if (ended) {
    sink.done();
    return true;
  }
  if (lines.empty()) std::this_thread::sleep_for(kPoll);
  return true;
}

}  // namespace

std::shared_ptr<void> EventStreamSlots::take(const std::string& client) {
  std::lock_guard lock(mutex_);
  int& mine = open_[client];
  if (total_ >= kMaxEventStreams || mine >= kMaxEventStreamsPerClient) return nullptr;
  ++mine;
  ++total_;
  return std::shared_ptr<void>(this, [this, client](void*) {
    std::lock_guard release(mutex_);
    --total_;
    if (--open_[client] == 0) open_.erase(client);
  });
}

void stream_job_events(const httplib::Request& request, httplib::Response& response, const ServerContext& context,
                       const jobs::JobRecord& job, std::uint64_t from) {
  auto state = std::make_shared<StreamState>();
  state->slot = context.event_streams->take(request.remote_addr);
  if (!state->slot) {
    response.set_header("Retry-After", "10");
    send_error(response, 503, "busy", "too many event streams are open (tabs following jobs)",
               "close the WatserFace tabs you do not need; this page follows the job again by itself");
    return;
  }
  state->database = context.database();
  state->log = jobs::project_paths(context.config.workspace_dir, job.spec.project).events(job.id);
  state->job = job.id;
  state->from = from;
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider("text/event-stream", [state](std::size_t, httplib::DataSink& sink) {
    // Runs after the handler, outside httplib's exception handler: what throws here ends this stream only.
    try {
      return stream_round(*state, sink);
    } catch (const std::exception& e) {
      log::error("server", "the event stream of job {} stopped: {}", state->job, e.what());
      return false;
    }
  });
}

}  // namespace wf::server
