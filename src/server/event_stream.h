#pragma once
// A job's telemetry as server-sent events (text/event-stream), from its events.jsonl:
//   id: N  event: telemetry  data: <line N of events.jsonl>   every line from `from` on (N counts from 1)
//   event: job               data: <the job>                  when its state, phase or progress changes
//   event: end               data: <the job>                  once it is done, failed, cancelled or paused and
//                                                             every line was sent; the stream then closes
// A reload starts from 0 and gets the whole history; EventSource reconnecting sends Last-Event-ID and gets the
// rest.

#include <cstdint>

#include "server/api.h"

namespace wf::server {

void stream_job_events(httplib::Response& response, const ServerContext& context, const jobs::JobRecord& job,
                       std::uint64_t from);

}  // namespace wf::server
