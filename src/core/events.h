#pragma once
// Telemetry: one JSON object per line in a job's events.jsonl (format: docs/telemetry.md).
// Trainers and the swap driver emit typed events through an EventSink; the CLI progress bar, the
// server's event stream and Python notebooks all read the same file.

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wf::core {

inline constexpr int kEventSchemaVersion = 1;

enum class EventKind { phase_start, step, epoch, sample, checkpoint, warning, error, phase_end };

std::string_view to_string(EventKind kind);
std::optional<EventKind> parse_event_kind(std::string_view text);

struct PhaseRef {
  std::string name;  // "identity", "xseg", ...
  int index = 0;     // 1-based position in the pipeline
  int count = 0;     // phases in the pipeline
};

struct Event {
  int schema = kEventSchemaVersion;
  double time = 0;  // seconds since the Unix epoch; filled by the sink when 0
  std::string job;
  PhaseRef phase;
  EventKind kind = EventKind::step;
  std::optional<std::int64_t> epoch, epochs, step, steps;
  std::optional<double> loss, lr, items_per_s, eta_s;
  std::string message;  // warning/error text, sample or checkpoint path

  nlohmann::json to_json() const;
  // Throws wf::Error(corrupt_file) for a missing field, a wrong type or a newer schema.
  static Event from_json(const nlohmann::json& value);
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const Event& event) = 0;
};

// Appends to events.jsonl. Each event is one write() of a whole line, so a reader never sees half an
// object unless the process died mid-write (the next log opened on the file starts a new line after it); phase
// ends and errors are fsynced.
class EventLog final : public EventSink {
 public:
  explicit EventLog(std::filesystem::path path);
  ~EventLog() override;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  void emit(const Event& event) override;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::mutex mutex_;
};

struct EventBatch {
  std::vector<Event> events;
  std::uint64_t next_line = 0;  // pass back as from_line to continue where this batch stopped
};

// Complete lines from `from_line` (0-based) on. An unterminated last line (a writer that is mid-write
// or died mid-write) is left for the next read; a malformed complete line throws naming its number.
EventBatch read_events(const std::filesystem::path& path, std::uint64_t from_line = 0);

double unix_time_now();

}  // namespace wf::core
