#include "server/bounded_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace wf::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool wait_for(socket_t sock, short events, milliseconds timeout) {
  pollfd descriptor{sock, events, 0};
  int ready;
  do {
    ready = ::poll(&descriptor, 1, static_cast<int>(std::max<milliseconds::rep>(timeout.count(), 0)));
  } while (ready < 0 && errno == EINTR);
  return ready > 0 && (descriptor.revents & (events | POLLHUP | POLLERR)) != 0;
}

void address_of(const sockaddr_storage& address, socklen_t length, std::string& ip, int& port) {
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host.data(), host.size(), service.data(),
                    service.size(), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    port = std::atoi(service.data());
  }
}

// A connection's socket, read through a buffer, each read waiting no longer than the request's deadline allows.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, milliseconds read_timeout, milliseconds write_timeout)
      : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  void start_request() {
    start_ = Clock::now();
    streamed_ = false;
  }
  void close_after_response() { closing_ = true; }
  bool closing() const { return closing_; }
  void allow_streamed_body() {
    streamed_ = true;
    start_ = Clock::now();
    received_ = 0;
  }

  bool buffered() const { return begin_ < end_; }
  bool is_readable() const override { return buffered() || wait_for(sock_, POLLIN, read_wait()); }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, write_timeout_) && peer_open(); }

  ssize_t read(char* ptr, size_t size) override {
    if (begin_ == end_) {
      if (!wait_for(sock_, POLLIN, read_wait())) return -1;
      ssize_t got;
      do {
        got = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
      } while (got < 0 && errno == EINTR);
      if (got <= 0) return got;
      begin_ = 0;
      end_ = static_cast<std::size_t>(got);
      received_ += end_;
    }
    const std::size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!wait_for(sock_, POLLOUT, write_timeout_)) return -1;
    ssize_t sent;
    do {
      sent = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      address_of(address, length, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      address_of(address, length, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  // The read timeout, cut to what is left of the request's time: kRequestDeadline, and for a streamed body one
  // more second per kMinUploadBytesPerSecond received.
  milliseconds read_wait() const {
    auto deadline = start_ + kRequestDeadline;
    if (streamed_) deadline += milliseconds(received_ * 1000 / kMinUploadBytesPerSecond);
    return std::min(read_timeout_, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
  }
  // The browser has not closed its end (the way httplib's own stream tells an event stream to stop).
  bool peer_open() const {
    if (!wait_for(sock_, POLLIN, milliseconds(0))) return true;
    char byte;
    return ::recv(sock_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }

  socket_t sock_;
  milliseconds read_timeout_, write_timeout_;
  Clock::time_point start_ = Clock::now();
  bool streamed_ = false, closing_ = false;
  std::uint64_t received_ = 0;
  std::array<char, 4096> buffer_{};
  std::size_t begin_ = 0, end_ = 0;
};

thread_local DeadlineStream* current_stream = nullptr;

// Threads made as connections need them, up to a bound, and kept for the next ones.
class ElasticPool final : public httplib::TaskQueue {
 public:
  explicit ElasticPool(std::size_t most) : most_(most) {}

  void enqueue(std::function<void()> task) override {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
    if (tasks_.size() > idle_ && threads_.size() < most_) {
      threads_.emplace_back([this] { work(); });
    } else {
      ready_.notify_one();
    }
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ++idle_;
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        --idle_;
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  const std::size_t most_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

milliseconds duration(time_t seconds, time_t microseconds) {
  return milliseconds(seconds * 1000 + microseconds / 1000);
}

}  // namespace

BoundedServer::BoundedServer() {
  new_task_queue = [] { return new ElasticPool(kMaxConnections); };
}

void BoundedServer::allow_streamed_body() {
  if (current_stream) current_stream->allow_streamed_body();
}

bool BoundedServer::discard_body(std::size_t bytes) {
  if (!current_stream) return false;
  std::array<char, 16384> buffer;
  while (bytes > 0) {
    const ssize_t got = current_stream->read(buffer.data(), std::min(bytes, buffer.size()));
    if (got <= 0) return false;
    bytes -= static_cast<std::size_t>(got);
  }
  return true;
}

void BoundedServer::close_after_response(httplib::Response& response) {
  response.set_header("Connection", "close");
  if (current_stream) current_stream->close_after_response();
}

// httplib's keep-alive loop over a DeadlineStream instead of its own socket stream.
bool BoundedServer::process_and_close_socket(socket_t sock) {
  DeadlineStream stream(sock, duration(read_timeout_sec_, read_timeout_usec_),
                        duration(write_timeout_sec_, write_timeout_usec_));
  current_stream = &stream;
  bool closed = false;
  for (std::size_t left = keep_alive_max_count_; left > 0 && !closed && svr_sock_ != INVALID_SOCKET; --left) {
    if (!stream.buffered() && !wait_for(sock, POLLIN, std::chrono::seconds(keep_alive_timeout_sec_))) break;
    stream.start_request();
    if (!process_request(stream, left == 1, closed, [](httplib::Request&) {}) || stream.closing()) break;
  }
  current_stream = nullptr;
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return true;
}

}  // namespace wf::server
