#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/events.h"
#include "core/jsonl.h"
#include "support/temp_dir.h"

namespace wf::core {
namespace {

Event step_event(std::int64_t step, double loss) {
  Event event;
  event.job = "job-1";
  event.phase = {"identity", 2, 5};
  event.kind = EventKind::step;
  event.epoch = 47;
  event.epochs = 100;
  event.step = step;
  event.steps = 1000;
  event.loss = loss;
  event.lr = 1e-4;
  event.items_per_s = 3.5;
  event.eta_s = 754;
  return event;
}

TEST(Events, WrittenLinesReadBackWithEveryFigure) {
  test::TempDir dir;
  const auto path = dir / "jobs/job-1/events.jsonl";
  {
    EventLog log(path);
    Event start;
    start.job = "job-1";
    start.phase = {"identity", 2, 5};
    start.kind = EventKind::phase_start;
    log.emit(start);
    log.emit(step_event(1, 0.0234));
  }
  const EventBatch batch = read_events(path);
  ASSERT_EQ(batch.events.size(), 2u);
  EXPECT_EQ(batch.next_line, 2u);
  EXPECT_EQ(batch.events[0].kind, EventKind::phase_start);
  EXPECT_GT(batch.events[0].time, 1.7e9);  // filled in by the log
  const Event& step = batch.events[1];
  EXPECT_EQ(step.phase.name, "identity");
  EXPECT_EQ(step.phase.index, 2);
  EXPECT_EQ(step.phase.count, 5);
  EXPECT_EQ(*step.epoch, 47);
  EXPECT_DOUBLE_EQ(*step.loss, 0.0234);
  EXPECT_DOUBLE_EQ(*step.eta_s, 754);
  EXPECT_FALSE(step.message.size());
}

TEST(Events, LineFormatIsTheDocumentedSchema) {
  const nlohmann::json value = step_event(3, 0.5).to_json();
  EXPECT_EQ(value.at("schema"), kEventSchemaVersion);
  EXPECT_EQ(value.at("kind"), "step");
  EXPECT_EQ(value.at("phase").at("name"), "identity");
  for (const char* key : {"time", "job", "epoch", "epochs", "step", "steps", "loss", "lr", "items_per_s", "eta_s"}) {
    EXPECT_TRUE(value.contains(key)) << key;
  }
}

TEST(Events, ReaderResumesAndWaitsForATornLastLine) {
  test::TempDir dir;
  const auto path = dir / "events.jsonl";
  {
    EventLog log(path);
    for (int i = 0; i < 5; ++i) log.emit(step_event(i, 1.0 / (i + 1)));
  }
  std::ofstream(path, std::ios::app) << R"({"schema":1,"time":1,"job":"job-1")";  // a writer mid-line
  const EventBatch first = read_events(path, 3);
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_EQ(*first.events[0].step, 3);
  EXPECT_EQ(first.next_line, 5u);
  EXPECT_TRUE(read_events(path, first.next_line).events.empty());
}

TEST(Events, ConcurrentWritersNeverInterleaveLines) {
  test::TempDir dir;
  const auto path = dir / "events.jsonl";
  {
    EventLog log(path);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 200; ++i) log.emit(step_event(t * 1000 + i, 0.1));
      });
    }
    for (auto& thread : threads) thread.join();
  }
  EXPECT_EQ(read_events(path).events.size(), 800u);
}

TEST(Events, DamagedLineIsReportedWithItsNumber) {
  test::TempDir dir;
  const auto path = dir / "events.jsonl";
  { EventLog(path).emit(step_event(1, 0.1)); }
  std::ofstream(path, std::ios::app) << "garbage\n";
  try {
    read_events(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_NE(e.message().find("line 2"), std::string::npos) << e.message();
    EXPECT_EQ(e.path(), path);
  }
}

TEST(Events, NewerSchemaIsRefusedWithAHint) {
  nlohmann::json value = step_event(1, 0.1).to_json();
  value["schema"] = kEventSchemaVersion + 1;
  try {
    Event::from_json(value);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_FALSE(e.hint().empty());
  }
}

// A process killed mid-write leaves a line without its newline; what is appended next starts a line of its own
// instead of being glued onto it (and lost with it).
TEST(Events, AppendingAfterATornLineStartsANewLine) {
  test::TempDir dir;
  const auto path = dir / "events.jsonl";
  { EventLog(path).emit(step_event(1, 0.5)); }
  const std::string torn = R"({"schema":1,"time":1,"job":"jo)";
  std::ofstream(path, std::ios::app) << torn;
  { EventLog(path).emit(step_event(2, 0.25)); }
  const auto lines = read_complete_lines(path).lines;
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], torn);
  EXPECT_EQ(*Event::from_json(nlohmann::json::parse(lines[2])).step, 2);

  const auto list = dir / "skipped.jsonl";
  append_line_durably(list, "{\"id\": \"a\"}\n");
  std::ofstream(list, std::ios::app) << R"({"id": "b)";
  append_line_durably(list, "{\"id\": \"c\"}\n");
  const std::vector<std::string> expected{R"({"id": "a"})", R"({"id": "b)", R"({"id": "c"})"};
  EXPECT_EQ(read_complete_lines(list).lines, expected);
}

}  // namespace
}  // namespace wf::core
