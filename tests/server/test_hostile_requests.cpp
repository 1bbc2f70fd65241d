// Requests an attacker or a broken client sends: bytes that are not UTF-8 in an address, bodies too large, too deep
// or of no stated length, numbers that are none, ranges past the end, slow senders and piles of event streams.
// Each gets an answer with a message, the server goes on serving the pages' short requests meanwhile, and it
// never ends.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/utf8.h"
#include "jobs/job_store.h"
#include "running_server.h"
#include "server/bounded_server.h"
#include "server/event_stream.h"
#include "server/request_edge.h"

namespace wf::server {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A client that writes raw bytes, as no well-behaved HTTP library would.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& bytes) { return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) >= 0; }
  // What the server sent until it closed the connection or `wait` passed; `closed` tells which.
  std::string receive(milliseconds wait, bool* closed = nullptr) {
    std::string out;
    const auto until = Clock::now() + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
      pollfd descriptor{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&descriptor, 1, static_cast<int>(left)) <= 0) break;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        if (closed) *closed = true;
        return out;
      }
      out.append(buffer, static_cast<std::size_t>(got));
    }
    if (closed) *closed = false;
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string host_header(int port) {
  return "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
}

int status_of(const std::string& answer) {
  return answer.size() > 12 && answer.starts_with("HTTP/1.1 ") ? std::stoi(answer.substr(9, 3)) : 0;
}

nlohmann::json body_of(const std::string& answer) {
  const std::size_t start = answer.find("\r\n\r\n");
  return start == std::string::npos ? nlohmann::json() : nlohmann::json::parse(answer.substr(start + 4), nullptr, false);
}

void expect_alive(RunningServer& server) {
  auto client = server.client();
  const auto health = client.Get("/api/v1/health");
  ASSERT_TRUE(health) << "the server stopped answering";
  EXPECT_EQ(health->status, 200);
}

TEST(HostileRequests, AnAddressThatIsNotUtf8IsRefusedAndTheServerLivesOn) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  auto client = server.client();
  ASSERT_EQ(client.Post("/api/v1/projects", R"({"name": "p"})", "application/json")->status, 201);
  for (const char* path : {"/api/v1/projects/%ff", "/api/v1/projects/p/files/%ff", "/api/v1/projects/p/files/a%c3",
                           "/api/v1/projects/%ff/summary", "/api/v1/jobs/1/events?from=%ff", "/%ff",
                           "/api/v1/projects/p%00q"}) {
    const auto answer = client.Get(path);
    ASSERT_TRUE(answer) << path;
    EXPECT_EQ(answer->status, 400) << path;
    const nlohmann::json body = nlohmann::json::parse(answer->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << path << ": " << answer->body;
    EXPECT_NE(body.at("error").at("message").get<std::string>().find("not UTF-8"), std::string::npos) << path;
  }
  EXPECT_EQ(client.Delete("/api/v1/projects/p/media/source/%ff")->status, 400);
  EXPECT_EQ(client.Delete("/api/v1/projects/%ff/media/source/a.jpg")->status, 400);
  EXPECT_EQ(client.Put("/api/v1/projects/p/faces/target/%ff/mask", "x", "image/png")->status, 400);
  // The <img> of another site's page: no Origin header, the same bytes.
  httplib::Client image("127.0.0.1", server.port());
  EXPECT_EQ(image.Get("/api/v1/projects/%ff/files/x.png")->status, 400);
  expect_alive(server);
}

TEST(HostileRequests, BodiesAreBoundedBeforeTheyAreRead) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  const int port = server.port();
  {
    // 200 MB announced: refused from the head, before a byte of the body is read.
    RawConnection connection(port);
    ASSERT_TRUE(connection.connected());
    connection.send("POST /api/v1/projects HTTP/1.1\r\n" + host_header(port) +
                    "Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n{\"name\": \"");
    bool closed = false;
    const std::string answer = connection.receive(milliseconds(5000), &closed);
    EXPECT_EQ(status_of(answer), 413) << answer;
    EXPECT_NE(body_of(answer).at("error").at("message").get<std::string>().find("200000000"), std::string::npos);
    EXPECT_LT(answer.size(), 2000u);
    EXPECT_TRUE(closed) << "the unread body is not taken for the next request";
  }
  {
    RawConnection connection(port);
    connection.send("POST /api/v1/projects HTTP/1.1\r\n" + host_header(port) + "Content-Type: application/json\r\n\r\n");
    const std::string answer = connection.receive(milliseconds(3000));
    EXPECT_EQ(status_of(answer), 411) << "a POST of no stated length is answered at once, with a message";
    EXPECT_NE(body_of(answer).at("error").at("hint").get<std::string>().find("Content-Length"), std::string::npos);
  }
  auto client = server.client();
  const std::string brackets(2 << 20, '[');
  const auto huge = client.Post("/api/v1/projects", brackets, "application/json");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_LT(huge->body.size(), 1000u) << "the body is not echoed";
  const auto deep = client.Post("/api/v1/projects", std::string(500'000, '['), "application/json");
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->status, 400);
  EXPECT_NE(json_of(deep).at("error").at("message").get<std::string>().find("nests deeper"), std::string::npos);
  const auto mask = client.Put("/api/v1/projects/p/faces/target/f_000000/mask", std::string(kMaxImageBodyBytes + 1, 'x'),
                               "image/png");
  ASSERT_TRUE(mask) << "a body a little too large is read and dropped, so the answer arrives";
  EXPECT_EQ(mask->status, 413);
  const auto empty = client.Post("/api/v1/projects", "", "application/json");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  EXPECT_FALSE(json_of(empty).at("error").at("message").get<std::string>().empty());
  expect_alive(server);
}

TEST(HostileRequests, BadNumbersAndRangesAreAnsweredAsSuch) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  auto client = server.client();
  ASSERT_EQ(client.Post("/api/v1/projects", R"({"name": "p"})", "application/json")->status, 201);
  jobs::JobStore store(jobs::workspace_database(config.workspace_dir));
  const std::int64_t job = store.submit({.project = "p", .kind = "held"});  // no runner takes it: it stays queued
  const std::string events = "/api/v1/jobs/" + std::to_string(job) + "/events";
  for (const char* id : {"-5", "abc", "99999999999999999999999"}) {
    const auto answer = client.Get(events.c_str(), {{"Last-Event-ID", id}});
    ASSERT_TRUE(answer) << id;
    EXPECT_EQ(answer->status, 400) << id;
    const std::string message = json_of(answer).at("error").at("message");
    EXPECT_NE(message.find("Last-Event-ID"), std::string::npos) << message;
    EXPECT_EQ(message.find("stoull"), std::string::npos);
  }
  EXPECT_EQ(client.Get("/api/v1/jobs/99999999999999999999999")->status, 404);

  const fs::path file = config.workspace_dir / "projects/p/outputs/clip.mp4";
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << std::string(1000, 'v');
  const std::string url = "/api/v1/projects/p/files/outputs/clip.mp4";
  const auto past = client.Get(url.c_str(), {{"Range", "bytes=1000-"}});
  ASSERT_TRUE(past);
  EXPECT_EQ(past->status, 416);
  EXPECT_EQ(past->get_header_value("Content-Range"), "bytes */1000");
  EXPECT_EQ(client.Get(url.c_str(), {{"Range", "bytes=-0"}})->status, 416);
  const auto tail = client.Get(url.c_str(), {{"Range", "bytes=990-"}});
  EXPECT_EQ(tail->status, 206);
  EXPECT_EQ(tail->body.size(), 10u);
}

TEST(HostileRequests, ProjectNamesThatAreDevicesOrOptionsAreRefused) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  auto client = server.client();
  for (const char* name : {"CON", "nul", "Com1", "lpt9.txt", "-rf", "--help"}) {
    const auto answer = client.Post("/api/v1/projects", nlohmann::json{{"name", name}}.dump(), "application/json");
    EXPECT_EQ(answer->status, 400) << name;
  }
  for (const char* name : {"console", "com10", "a-rf", "null"}) {
    EXPECT_EQ(client.Post("/api/v1/projects", nlohmann::json{{"name", name}}.dump(), "application/json")->status, 201)
        << name;
  }
}

// The attack that starved the server: connections sending a body or a head a byte every two seconds, and more
// event streams than a browser opens. Short requests are answered throughout, and the slow ones are dropped once
// their request's time is up.
TEST(HostileRequests, SlowSendersAndOpenStreamsLeaveRoomForShortRequests) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  const int port = server.port();
  auto client = server.client();
  ASSERT_EQ(client.Post("/api/v1/projects", R"({"name": "p"})", "application/json")->status, 201);
  jobs::JobStore store(jobs::workspace_database(config.workspace_dir));
  const std::int64_t job = store.submit({.project = "p", .kind = "held"});
  const std::string events = "/api/v1/jobs/" + std::to_string(job) + "/events";

  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port));
    slow.back()->send(i % 2 == 0 ? "POST /api/v1/projects HTTP/1.1\r\n" + host_header(port) +
                                       "Content-Type: application/json\r\nContent-Length: 64\r\n\r\n{"
                                 : "GET /api/v1/proj");
  }
  std::vector<std::unique_ptr<RawConnection>> streams;
  int refused_streams = 0;
  for (int i = 0; i < 40; ++i) {
    streams.push_back(std::make_unique<RawConnection>(port));
    streams.back()->send("GET " + events + " HTTP/1.1\r\n" + host_header(port) + "\r\n");
    const std::string head = streams.back()->receive(milliseconds(300));
    if (status_of(head) == 503) ++refused_streams;
  }
  EXPECT_EQ(refused_streams, 40 - kMaxEventStreamsPerClient) << "one client holds at most its share of streams";

  double slowest = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < kRequestDeadline + std::chrono::seconds(3)) {
    for (auto& connection : slow) connection->send(" ");
    const auto asked = Clock::now();
    const auto health = client.Get("/api/v1/health");
    ASSERT_TRUE(health) << "a short request went unanswered";
    EXPECT_EQ(health->status, 200);
    slowest = std::max(slowest, std::chrono::duration<double>(Clock::now() - asked).count());
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  std::cout << "slowest /api/v1/health beside 40 slow senders and " << 40 - refused_streams
            << " open streams: " << slowest * 1000 << " ms\n";
  EXPECT_LT(slowest, 1.0) << "seconds for /api/v1/health while slow clients hold connections";
  int dropped = 0;
  for (auto& connection : slow) {
    bool closed = false;
    connection->receive(milliseconds(2000), &closed);
    dropped += closed ? 1 : 0;
  }
  EXPECT_EQ(dropped, 40) << "a request that does not arrive within its time is dropped";
}

}  // namespace
}  // namespace wf::server
