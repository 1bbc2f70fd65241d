#pragma once
// httplib's server, bounded against clients that send slowly or hold connections: a request's head and body must
// arrive within kRequestDeadline (an upload, past that, at kMinUploadBytesPerSecond or faster), and each
// connection gets a thread of its own, up to kMaxConnections, so slow clients never queue the short requests
// of a page behind them.

#include <httplib.h>

#include <chrono>
#include <cstdint>

namespace wf::server {

inline constexpr auto kRequestDeadline = std::chrono::seconds(10);
inline constexpr std::uint64_t kMinUploadBytesPerSecond = 64u << 10;
inline constexpr std::size_t kMaxConnections = 256;

class BoundedServer : public httplib::Server {
 public:
  BoundedServer();
  // From a handler of the request being read (the pre-routing handler): its body streams in for as long as it
  // keeps kMinUploadBytesPerSecond.
  static void allow_streamed_body();
  // From a handler that answered without reading the body: the connection closes after the answer.
  static void close_after_response(httplib::Response& response);
  // From a pre-routing handler that answers a request without its body: reads and drops the `bytes` that follow
  // the head, so the client gets the answer instead of a reset connection; false when they did not arrive in time.
  static bool discard_body(std::size_t bytes);

 private:
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace wf::server
