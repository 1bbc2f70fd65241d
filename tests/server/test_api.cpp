// The browser app's JSON API over real media: projects, uploads checked and streamed to disk, a job queued and
// followed as server-sent events (a reconnect gets the rest), the project's files served with ranges and
// confined to the project.

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <regex>

#include "running_server.h"
#include "support/face_media.h"
#include "support/synthetic_clip.h"

namespace wf::server {
namespace {
namespace fs = std::filesystem;

const fs::path kGrace = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg";

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

nlohmann::json json_of(const httplib::Result& result) {
  EXPECT_TRUE(result);
  return result ? nlohmann::json::parse(result->body) : nlohmann::json();
}

httplib::Result upload(httplib::Client& client, const std::string& project, const std::string& kind,
                       const std::vector<std::pair<std::string, std::string>>& files) {
  httplib::MultipartFormDataItems items;
  for (const auto& [name, content] : files) items.push_back({"files", content, name, "application/octet-stream"});
  return client.Post(("/api/v1/projects/" + project + "/media/" + kind).c_str(), items);
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(folder)) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Api, ProjectsAreCreatedListedAndTheirNamesChecked) {
  test::TempDir dir;
  RunningServer server(test_config(dir));
  auto client = server.client();
  const auto created = client.Post("/api/v1/projects", R"({"name": "party"})", "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(json_of(created).at("source").at("media"), nlohmann::json::array());
  EXPECT_EQ(client.Post("/api/v1/projects", R"({"name": "party"})", "application/json")->status, 400);
  const auto bad = client.Post("/api/v1/projects", R"({"name": "../up"})", "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(json_of(bad).at("error").at("hint").get<std::string>().find("letters"), std::string::npos);
  EXPECT_EQ(json_of(client.Get("/api/v1/projects")), nlohmann::json::parse(R"([{"name": "party", "live_job": null}])"));
  EXPECT_EQ(client.Get("/api/v1/projects/nobody")->status, 404);
}

TEST(Api, UploadsAreCheckedAndOnlyGoodFilesLand) {
  test::TempDir dir;
  core::AppConfig config = test_config(dir);
  config.max_upload_mb = 1;
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  const fs::path media = config.workspace_dir / "projects/p/source/media";

  const auto good = upload(client, "p", "source", {{"Grace Hopper (1).JPG", contents(kGrace)}});
  EXPECT_EQ(good->status, 201);
  EXPECT_EQ(json_of(good).at("uploaded"), nlohmann::json::array({"Grace_Hopper__1_.jpg"}));

  const auto text = upload(client, "p", "source", {{"notes.txt", "not a photo"}});
  EXPECT_EQ(text->status, 415);
  EXPECT_NE(json_of(text).at("error").at("message").get<std::string>().find("notes.txt"), std::string::npos);

  const auto fake = upload(client, "p", "source", {{"fake.png", std::string(5000, 'x')}});
  EXPECT_EQ(fake->status, 415);
  EXPECT_NE(json_of(fake).at("error").at("message").get<std::string>().find("cannot be read"), std::string::npos);

  const auto big = upload(client, "p", "source", {{"big.jpg", std::string((1 << 20) + 10, 'x')}});
  ASSERT_TRUE(big) << "an oversized upload is answered, not cut off";
  EXPECT_EQ(big->status, 400);
  EXPECT_NE(json_of(big).at("error").at("message").get<std::string>().find("1 MiB"), std::string::npos);

  const auto two = upload(client, "p", "target", {{"a.jpg", contents(kGrace)}, {"b.jpg", contents(kGrace)}});
  EXPECT_EQ(two->status, 400);
  EXPECT_EQ(names_in(media), std::vector<std::string>{"Grace_Hopper__1_.jpg"}) << "a refused upload leaves nothing";
  EXPECT_TRUE(names_in(config.workspace_dir / "projects/p/target/media").empty());

  EXPECT_EQ(client.Delete("/api/v1/projects/p/media/source/Grace_Hopper__1_.jpg")->status, 200);
  EXPECT_TRUE(names_in(media).empty());
}

// The SSE stream read to its end: the telemetry ids and payloads, and whether it ended with the job done.
struct Stream {
  std::vector<int> ids;
  std::vector<nlohmann::json> telemetry;
  nlohmann::json end;
};

Stream read_stream(httplib::Client& client, const std::string& path, const httplib::Headers& headers = {}) {
  std::string text;
  const auto result = client.Get(path.c_str(), headers, [&](const char* data, std::size_t size) {
    text.append(data, size);
    return true;
  });
  EXPECT_TRUE(result);
  Stream out;
  const std::regex message(R"((?:id: (\d+)\n)?event: (\w+)\ndata: (.*)\n\n)");
  for (std::sregex_iterator it(text.begin(), text.end(), message), end; it != end; ++it) {
    const std::string kind = (*it)[2];
    if (kind == "telemetry") {
      out.ids.push_back(std::stoi((*it)[1]));
      out.telemetry.push_back(nlohmann::json::parse((*it)[3].str()));
    }
    if (kind == "end") out.end = nlohmann::json::parse((*it)[3].str());
  }
  return out;
}

TEST(Api, AnExtractionJobIsFollowedAsServerSentEventsAndItsFilesAreServed) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  const fs::path clip = dir / "party.mkv";
  test::group_photo_clip(8).write(clip);
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  ASSERT_EQ(upload(client, "p", "source", {{"grace.jpg", contents(kGrace)}})->status, 201);
  ASSERT_EQ(upload(client, "p", "target", {{"party.mkv", contents(clip)}})->status, 201);

  const auto queued =
      client.Post("/api/v1/projects/p/jobs", R"({"preset": "quick", "stop_after": "extract"})", "application/json");
  ASSERT_EQ(queued->status, 201);
  const nlohmann::json job = json_of(queued);
  EXPECT_EQ(job.at("phases"), nlohmann::json::array({"Extracting Faces"}));
  const std::string id = std::to_string(job.at("id").get<int>());
  // While it is queued or running: a second job, and new media, are refused with the job named.
  const auto twice = client.Post("/api/v1/projects/p/jobs", R"({"preset": "quick"})", "application/json");
  EXPECT_EQ(twice->status, 400);
  EXPECT_NE(json_of(twice).at("error").at("message").get<std::string>().find("already has job " + id),
            std::string::npos);
  EXPECT_EQ(upload(client, "p", "source", {{"more.jpg", contents(kGrace)}})->status, 400);

  const Stream whole = read_stream(client, "/api/v1/jobs/" + id + "/events");
  ASSERT_FALSE(whole.telemetry.empty());
  EXPECT_EQ(whole.end.at("state"), "done");
  std::vector<int> expected(whole.ids.size());
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(whole.ids, expected);
  EXPECT_EQ(whole.telemetry.front().at("kind"), "phase_start");
  EXPECT_EQ(whole.telemetry.back().at("kind"), "phase_end");
  const std::string log = contents(config.workspace_dir / "projects/p/jobs" / id / "events.jsonl");
  EXPECT_EQ(static_cast<long>(whole.ids.size()), std::count(log.begin(), log.end(), '\n'));

  // A reconnect that saw all but the last two events gets exactly those.
  const int seen = whole.ids.back() - 2;
  const Stream rest = read_stream(client, "/api/v1/jobs/" + id + "/events", {{"Last-Event-ID", std::to_string(seen)}});
  EXPECT_EQ(rest.ids, (std::vector<int>{seen + 1, seen + 2}));
  EXPECT_EQ(rest.telemetry, std::vector<nlohmann::json>(whole.telemetry.end() - 2, whole.telemetry.end()));

  const nlohmann::json project = json_of(client.Get("/api/v1/projects/p"));
  const auto& faces = project.at("source").at("dataset").at("faces");
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GT(faces[0].at("score").get<double>(), 0.7);
  const auto crop = client.Get(faces[0].at("image").get<std::string>().c_str());
  EXPECT_EQ(crop->status, 200);
  EXPECT_EQ(crop->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(crop->body.substr(1, 3), "PNG");
  EXPECT_EQ(project.at("target").at("dataset").at("count"), 8);

  const auto part = client.Get(project.at("target").at("url").get<std::string>().c_str(), {{"Range", "bytes=10-109"}});
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, contents(clip).substr(10, 100));
}

TEST(Api, NothingOutsideTheProjectIsServed) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  fs::create_directories(config.workspace_dir / "projects/other");
  std::ofstream(config.workspace_dir / "projects/other/secret.txt") << "secret";
  for (const char* path :
       {"/api/v1/projects/p/files/../other/secret.txt", "/api/v1/projects/p/files/%2e%2e/other/secret.txt",
        "/api/v1/projects/p/files/..%2fother%2fsecret.txt", "/api/v1/projects/p/files//etc/passwd"}) {
    const auto response = client.Get(path);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404) << path;
    EXPECT_EQ(response->body.find("secret\""), std::string::npos);
  }
}

}  // namespace
}  // namespace wf::server
