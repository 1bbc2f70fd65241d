#pragma once
// A job's telemetry as server-sent events (text/event-stream), from its events.jsonl:
//   id: N  event: telemetry  data: <line N of events.jsonl>   every line from `from` on (N counts from 1)
//   event: job               data: <the job>                  when its state, phase or progress changes
//   event: end               data: <the job>                  once it is done, failed, cancelled or paused and
//                                                             every line was sent; the stream then closes
// A reload starts from 0 and gets the whole history; EventSource reconnecting sends Last-Event-ID and gets the
// rest.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "server/api.h"

namespace wf::server {

// An open stream holds its connection's thread for as long as its job runs, so there are at most this many, and
// fewer from any one client address, which leaves threads for the pages' short requests.
inline constexpr int kMaxEventStreams = 32;
inline constexpr int kMaxEventStreamsPerClient = 16;

class EventStreamSlots {
 public:
  // A slot for a stream to `client`, given back when the last copy is dropped; null when none is free.
  std::shared_ptr<void> take(const std::string& client);

 private:
  std::mutex mutex_;
  std::map<std::string, int> open_;
  int total_ = 0;
};

// The stream, or 503 when the server's or the client's streams are all open.
void stream_job_events(const httplib::Request& request, httplib::Response& response, const ServerContext& context,
                       const jobs::JobRecord& job, std::uint64_t from);

}  // namespace wf::server
