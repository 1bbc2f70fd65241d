// The browser app's JSON API over real media: projects, uploads checked and streamed to disk, a job queued and
// followed as server-sent events (a reconnect gets the rest), the project's files served with ranges.

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>

#include "core/json_io.h"
#include "core/subprocess.h"
#include "dataset/imagefolder.h"
#include "face/embedder.h"
#include "jobs/job_store.h"
#include "jobs/project.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "running_server.h"
#include "support/declared_png.h"
#include "support/face_media.h"
#include "support/synthetic_clip.h"

namespace wf::server {
namespace {
namespace fs = std::filesystem;

const fs::path kGrace = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg";

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

  const auto good = upload(client, "p", "source", {{"Grace Hopper (1).JPG", test::read_text(kGrace)}});
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

  const auto same =
      upload(client, "p", "source", {{"a b.jpg", test::read_text(kGrace)}, {"a_b.jpg", test::read_text(kGrace)}});
  EXPECT_EQ(same->status, 400) << "two files that would land under one name";
  const auto stem = upload(client, "p", "source", {{"Grace_Hopper__1_.png", test::read_text(kGrace)}});
  EXPECT_EQ(stem->status, 400) << "a second file of one stem would give its faces the same names";

  const auto two =
      upload(client, "p", "target", {{"a.jpg", test::read_text(kGrace)}, {"b.jpg", test::read_text(kGrace)}});
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
  make_project(client, {kGrace}, clip);

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
  EXPECT_EQ(upload(client, "p", "source", {{"more.jpg", test::read_text(kGrace)}})->status, 400);

  const Stream whole = read_stream(client, "/api/v1/jobs/" + id + "/events");
  ASSERT_FALSE(whole.telemetry.empty());
  EXPECT_EQ(whole.end.at("state"), "done");
  std::vector<int> expected(whole.ids.size());
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(whole.ids, expected);
  EXPECT_EQ(whole.telemetry.front().at("kind"), "phase_start");
  // Worded on the server as the CLI words it, so the browser shows the same lines.
  EXPECT_EQ(whole.telemetry.front().at("text"), "Phase 1/1: Extracting Faces") << whole.telemetry.front().dump();
  const auto step = std::find_if(whole.telemetry.begin(), whole.telemetry.end(),
                                 [](const nlohmann::json& e) { return e.at("kind") == "step"; });
  ASSERT_NE(step, whole.telemetry.end());
  EXPECT_EQ(step->at("text").get<std::string>().rfind("Frame ", 0), 0u) << step->dump();
  EXPECT_EQ(whole.telemetry.back().at("kind"), "phase_end");
  const std::string log = test::read_text(config.workspace_dir / "projects/p/jobs" / id / "events.jsonl");
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
  EXPECT_EQ(part->body, test::read_text(clip).substr(10, 100));
  const auto downloaded = client.Get((project.at("target").at("url").get<std::string>() + "?download=1").c_str());
  EXPECT_EQ(downloaded->get_header_value("Content-Disposition"),
            "attachment; filename=\"p_" + clip.filename().string() + "\"")
      << "a download names its project, so several projects' files do not overwrite one another";

  // The last source face cannot be dropped; an unknown one is not found.
  const std::string faces_path = "/api/v1/projects/p/faces/source/";
  const auto last = client.Delete((faces_path + faces[0].at("id").get<std::string>()).c_str());
  EXPECT_EQ(last->status, 400);
  EXPECT_NE(json_of(last).at("error").at("message").get<std::string>().find("at least one face"), std::string::npos);
  EXPECT_EQ(client.Delete((faces_path + "nobody_000000").c_str())->status, 404);

  // A painted mask of the wrong size is refused; one of the crop's size makes the face `painted`.
  const auto& target_face = project.at("target").at("dataset").at("faces").at(0);
  const std::string mask_path = "/api/v1/projects/p/faces/target/" + target_face.at("id").get<std::string>() + "/mask";
  std::vector<uchar> png;
  cv::imencode(".png", cv::Mat(10, 10, CV_8UC1, cv::Scalar(255)), png);
  const auto small = client.Put(mask_path.c_str(), std::string(png.begin(), png.end()), "image/png");
  EXPECT_EQ(small->status, 400);
  EXPECT_NE(json_of(small).at("error").at("message").get<std::string>().find("10x10"), std::string::npos);
  const std::string crop_png = client.Get(target_face.at("image").get<std::string>().c_str())->body;
  const cv::Mat target_crop = cv::imdecode(std::vector<uchar>(crop_png.begin(), crop_png.end()), cv::IMREAD_COLOR);
  cv::Mat painted(target_crop.size(), CV_8UC1, cv::Scalar(0));
  cv::circle(painted, {painted.cols / 2, painted.rows / 2}, painted.cols / 4, cv::Scalar(255), cv::FILLED);
  cv::imencode(".png", painted, png);
  const auto saved = client.Put(mask_path.c_str(), std::string(png.begin(), png.end()), "image/png");
  ASSERT_EQ(saved->status, 200);
  const nlohmann::json saved_face = json_of(saved).at("target").at("dataset").at("faces").at(0);
  EXPECT_EQ(saved_face.at("mask_origin"), "painted");
  const std::string mask_png = client.Get(saved_face.at("mask").get<std::string>().c_str())->body;
  const cv::Mat stored = cv::imdecode(std::vector<uchar>(mask_png.begin(), mask_png.end()), cv::IMREAD_GRAYSCALE);
  EXPECT_EQ(cv::norm(stored, painted, cv::NORM_INF), 0) << "the mask is stored as painted";

  // One frame previewed: the frame as it was and swapped, at the video's size, differing where the face is.
  const auto preview =
      client.Post("/api/v1/projects/p/preview", R"({"frame": 3, "preset": "quick"})", "application/json");
  ASSERT_EQ(preview->status, 200) << preview->body;
  auto image_at = [&](const std::string& url) {
    const std::string body = client.Get(url.c_str())->body;
    return cv::imdecode(std::vector<uchar>(body.begin(), body.end()), cv::IMREAD_COLOR);
  };
  const cv::Mat before = image_at(json_of(preview).at("before")), after = image_at(json_of(preview).at("after"));
  const media::VideoInfo video = media::VideoReader(clip).info();
  EXPECT_EQ(before.size(), cv::Size(video.width, video.height));
  EXPECT_EQ(after.size(), before.size());
  EXPECT_GT(cv::norm(before, after, cv::NORM_L1) / static_cast<double>(before.total()), 0.5);
  EXPECT_EQ(client.Post("/api/v1/projects/p/preview", R"({"frame": 99})", "application/json")->status, 400);
}

TEST(Api, DroppingASourceFaceRemakesTheIdentityWithoutIt) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  const fs::path clip = dir / "party.mkv";
  test::group_photo_clip(4).write(clip);
  RunningServer server(config);
  auto client = server.client();
  make_project(client, {kGrace, "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"}, clip);
  const auto queued =
      client.Post("/api/v1/projects/p/jobs", R"({"preset": "quick", "stop_after": "extract"})", "application/json");
  const std::string id = std::to_string(json_of(queued).at("id").get<int>());
  ASSERT_EQ(read_stream(client, "/api/v1/jobs/" + id + "/events").end.at("state"), "done");

  const fs::path dataset = config.workspace_dir / "projects/p/source/dataset";
  EXPECT_EQ(core::read_json_file(dataset / "identity.json").at("faces"), 2);
  const auto dropped = client.Delete("/api/v1/projects/p/faces/source/astronaut_000000");
  ASSERT_EQ(dropped->status, 200) << dropped->body;
  EXPECT_EQ(json_of(dropped).at("source").at("dataset").at("count"), 1);
  EXPECT_FALSE(fs::exists(dataset / "images/astronaut_000000.png"));
  const nlohmann::json identity = core::read_json_file(dataset / "identity.json");
  EXPECT_EQ(identity.at("faces"), 1);
  const auto grace = dataset::read_records(dataset).at(0);
  EXPECT_NEAR(face::cosine_similarity(identity.at("embedding").get<std::vector<float>>(), grace.embedding), 1.0, 1e-5)
      << "the identity is Grace Hopper's face alone";
  EXPECT_NE(test::read_text(dataset / "skipped.jsonl").find(R"({"id":"astronaut_000000","reason":"dropped"})"),
            std::string::npos);
}

// A PNG of 57 bytes declaring 32000x32000 pixels (3 GB decoded): refused at once from its header, as an upload
// and as a painted mask, with the limit and its setting named; nothing lands.
TEST(Api, APhotoDeclaringGigapixelsIsRefusedAtOnceBeforeItIsDecoded) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  const std::string bomb = test::png_declaring(32000, 32000);
  const auto start = std::chrono::steady_clock::now();
  const auto refused = upload(client, "p", "source", {{"big.png", bomb}});
  ASSERT_TRUE(refused);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(refused->status, 400);
  const auto error = json_of(refused).at("error");
  EXPECT_EQ(error.at("message"), "'big.png' is 32000x32000 pixels (1024 megapixels), over the limit of 100");
  EXPECT_NE(error.at("hint").get<std::string>().find("max_image_megapixels"), std::string::npos);
  EXPECT_TRUE(names_in(config.workspace_dir / "projects/p/source/media").empty());
  EXPECT_EQ(upload(client, "p", "target", {{"big.png", bomb}})->status, 400);

  const auto mask = client.Put("/api/v1/projects/p/faces/target/any_000000/mask", bomb, "image/png");
  ASSERT_TRUE(mask);
  EXPECT_EQ(mask->status, 400);
  EXPECT_EQ(json_of(mask).at("error").at("message"),
            "the painted mask is 32000x32000 pixels (1024 megapixels), over the limit of 100");
}

// A photo whose name is not UTF-8 (put there by `watserface run`, which keeps names), and a failed job whose error
// names it: the project's summary still answers, with the name shown with U+FFFD.
TEST(Api, TheSummaryOfAProjectHoldingANameThatIsNotUtf8Answers) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  fs::copy_file(kGrace, config.workspace_dir / "projects/p/source/media/caf\xe9.jpg");
  jobs::JobStore store(jobs::workspace_database(config.workspace_dir));
  const std::int64_t job = store.submit({.project = "p"});
  store.transition(job, jobs::JobState::running);
  store.transition(job, jobs::JobState::failed, "cannot read caf\xe9.jpg");
  const auto summary = client.Get("/api/v1/projects/p");
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->status, 200) << summary->body;
  const auto body = json_of(summary);
  EXPECT_EQ(body.at("source").at("media").at(0).at("name"), "caf\xEF\xBF\xBD.jpg");
  EXPECT_EQ(body.at("jobs").at(0).at("error"), "cannot read caf\xEF\xBF\xBD.jpg");
  EXPECT_EQ(client.Get("/api/v1/projects")->status, 200);
}

// A phone's clip whose frames are unevenly spaced is told as such when it is uploaded, not when the swap refuses
// it; with the user's agreement it is re-timed in place: every frame kept, evenly spaced, the swap's check passed.
TEST(Api, AVariableFrameRateIsToldAtUploadAndMadeConstantKeepingEveryFrame) {
  test::TempDir dir;
  const core::AppConfig config = test_config(dir);
  RunningServer server(config);
  auto client = server.client();
  client.Post("/api/v1/projects", R"({"name": "p"})", "application/json");
  test::group_photo_clip(10).write(dir / "even.mkv");
  const core::ProcessResult uneven = core::run_process(
      {"ffmpeg", "-hide_banner", "-loglevel", "error", "-i", (dir / "even.mkv").string(), "-vf",
       "setpts=N/10/TB+if(gte(N\\,3)\\,0.5/TB\\,0)", "-fps_mode", "vfr", "-c:v", "ffv1", (dir / "phone.mkv").string()});
  ASSERT_EQ(uneven.status, 0) << uneven.errors;
  const auto uploaded = upload(client, "p", "target", {{"phone.mkv", test::read_text(dir / "phone.mkv")}});
  ASSERT_EQ(uploaded->status, 201);
  const nlohmann::json timing = json_of(uploaded).at("target").at("timing");
  EXPECT_TRUE(timing.at("variable").get<bool>()) << timing;
  EXPECT_NE(timing.at("message").get<std::string>().find("not evenly spaced"), std::string::npos) << timing;

  const auto made = client.Post("/api/v1/projects/p/media/target/constant-rate", "{}", "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 200) << made->body;
  const nlohmann::json target = json_of(made).at("target");
  EXPECT_EQ(target.at("media").at("name"), "phone_constant.mkv");
  EXPECT_FALSE(target.at("timing").at("variable").get<bool>()) << target;
  const fs::path media = config.workspace_dir / "projects/p/target/media";
  EXPECT_EQ(names_in(media), std::vector<std::string>{"phone_constant.mkv"})
      << "the upload is replaced, no temporary left";
  EXPECT_EQ(media::count_frames(media / "phone_constant.mkv"), media::count_frames(dir / "phone.mkv"));
  EXPECT_FALSE(media::probe_media(media / "phone_constant.mkv").variable_frame_rate());

  const auto photo = client.Post("/api/v1/projects", R"({"name": "q"})", "application/json");
  ASSERT_EQ(photo->status, 201);
  EXPECT_EQ(client.Post("/api/v1/projects/q/media/target/constant-rate", "{}", "application/json")->status, 404);
}

}  // namespace
}  // namespace wf::server
