// The server lets in only its own pages, and beyond this machine only holders of its token; nothing outside a
// project is served by any endpoint; a file that only pretends to be a photo is refused; every answer carries the
// security headers.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "running_server.h"

namespace wf::server {
namespace {
namespace fs = std::filesystem;

TEST(Security, AServerListeningBeyondThisMachineAsksForItsTokenOnEveryRequest) {
  test::TempDir dir;
  core::AppConfig config = test_config(dir);
  config.host = "0.0.0.0";
  RunningServer server(config);
  const std::string token = server.token();
  ASSERT_EQ(token.size(), 32u);
  auto client = server.client();
  for (const char* path : {"/", "/api/v1/projects", "/api/v1/health", "/api/v1/jobs/1/events"}) {
    const auto refused = client.Get(path);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401) << path;
  }
  EXPECT_EQ(client.Get("/api/v1/projects", {{"Authorization", "Bearer " + std::string(32, '0')}})->status, 401);
  EXPECT_EQ(client.Get("/api/v1/projects", {{"Authorization", "Bearer " + token}})->status, 200);

  // The address printed at start: the page is shown again without the token, which stays as a cookie.
  const auto opened = client.Get(("/?token=" + token).c_str());
  EXPECT_EQ(opened->status, 302);
  EXPECT_EQ(opened->get_header_value("Location"), "/");
  const std::string cookie = opened->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const httplib::Headers with_cookie = {{"Cookie", "theme=dark; " + cookie.substr(0, cookie.find(';'))}};
  EXPECT_EQ(client.Get("/", with_cookie)->status, 200);
  EXPECT_EQ(client.Post("/api/v1/projects", with_cookie, R"({"name": "p"})", "application/json")->status, 201);
}

TEST(Security, OnlyPagesOfThisServerMayCallIt) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  EXPECT_TRUE(server.token().empty()) << "on 127.0.0.1 no token is asked";
  auto client = server.client();
  const std::string self = "http://127.0.0.1:" + std::to_string(server.port());
  const auto ours = client.Post("/api/v1/projects", {{"Origin", self}}, R"({"name": "p"})", "application/json");
  EXPECT_EQ(ours->status, 201);
  const auto other =
      client.Post("/api/v1/projects", {{"Origin", "http://example.com"}}, R"({"name": "q"})", "application/json");
  EXPECT_EQ(other->status, 403) << "a page of another site posting here";
  EXPECT_NE(json_of(other).at("error").at("message").get<std::string>().find("example.com"), std::string::npos);
  httplib::Client rebound("127.0.0.1", server.port());
  rebound.set_default_headers({{"Host", "attacker.example:" + std::to_string(server.port())}});
  EXPECT_EQ(rebound.Get("/api/v1/projects")->status, 403) << "a name rebound to this machine";
  EXPECT_EQ(json_of(client.Get("/api/v1/projects")).size(), 1u);
}

TEST(Security, NoEndpointServesAFileOutsideTheProject) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  fs::create_directories(config.workspace_dir / "projects/other");
  std::ofstream(config.workspace_dir / "projects/other/secret.txt") << "secret";
  const std::vector<std::string> attempts = {"/api/v1/projects/p/files/../other/secret.txt",
                                             "/api/v1/projects/p/files/%2e%2e/other/secret.txt",
                                             "/api/v1/projects/p/files/..%2fother%2fsecret.txt",
                                             "/api/v1/projects/p/files//etc/passwd",
                                             "/api/v1/projects/p/files/../../../../etc/passwd",
                                             "/api/v1/projects/..%2fother/files/secret.txt",
                                             "/../../etc/passwd",
                                             "/%2e%2e/%2e%2e/etc/passwd",
                                             "/assets/../../../../etc/passwd"};
  for (const auto& path : attempts) {
    const auto response = client.Get(path.c_str());
    ASSERT_TRUE(response) << path;
    EXPECT_GE(response->status, 400) << path;
    EXPECT_EQ(response->body.find("root:"), std::string::npos) << path;
    EXPECT_EQ(response->body.find("secret\""), std::string::npos) << path;
  }
}

TEST(Security, AnExecutableRenamedToPngIsRefused) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  const auto response = upload(client, "p", "source", {{"photo.png", test::read_text("/bin/ls")}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 415);
  EXPECT_NE(json_of(response).at("error").at("message").get<std::string>().find("cannot be read as a photo"),
            std::string::npos);
  EXPECT_TRUE(fs::is_empty(config.workspace_dir / "projects/p/source/media"));
}

TEST(Security, EveryAnswerCarriesTheSecurityHeaders) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  auto client = server.client();
  for (const char* path : {"/", "/api/v1/health", "/api/v1/projects/nobody"}) {
    const auto response = client.Get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_NE(response->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(response->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(response->get_header_value("X-Frame-Options"), "DENY") << path;
  }
}

}  // namespace
}  // namespace wf::server
