#include "core/events.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/enum_names.h"
#include "core/json_number.h"
#include "core/jsonl.h"

namespace wf::core {
namespace {

constexpr std::array<EnumName<EventKind>, 8> kKinds{{
    {EventKind::phase_start, "phase_start"},
    {EventKind::step, "step"},
    {EventKind::epoch, "epoch"},
    {EventKind::sample, "sample"},
    {EventKind::checkpoint, "checkpoint"},
    {EventKind::warning, "warning"},
    {EventKind::error, "error"},
    {EventKind::phase_end, "phase_end"},
}};

template <typename T>
void put(nlohmann::json& out, const char* key, const std::optional<T>& value) {
  if (value) out[key] = *value;
}

template <typename T>
void take(const nlohmann::json& in, const char* key, std::optional<T>& value) {
  const auto it = in.find(key);
  if (it != in.end() && !it->is_null()) value = json_number<T>(*it, std::string("telemetry field ") + key);
}

}  // namespace

std::string_view to_string(EventKind kind) {
  return enum_to_string(kKinds, kind);
}

std::optional<EventKind> parse_event_kind(std::string_view text) {
  return enum_from_string(kKinds, text);
}

double unix_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

nlohmann::json Event::to_json() const {
  nlohmann::json out = {{"schema", schema},
                        {"time", time},
                        {"job", job},
                        {"phase", {{"name", phase.name}, {"index", phase.index}, {"count", phase.count}}},
                        {"kind", std::string(to_string(kind))}};
  put(out, "epoch", epoch);
  put(out, "epochs", epochs);
  put(out, "step", step);
  put(out, "steps", steps);
  put(out, "loss", loss);
  put(out, "lr", lr);
  put(out, "items_per_s", items_per_s);
  put(out, "eta_s", eta_s);
  if (!message.empty()) out["message"] = message;
  return out;
}

Event Event::from_json(const nlohmann::json& value) {
  try {
    Event event;
    event.schema = json_number<int>(value.at("schema"), "telemetry field schema");
    if (event.schema > kEventSchemaVersion) {
      throw Error(ErrorCode::unsupported,
                  "telemetry schema " + std::to_string(event.schema) + " is newer than this WatserFace reads (" +
                      std::to_string(kEventSchemaVersion) + ")",
                  {}, "update WatserFace");
    }
    event.time = json_number<double>(value.at("time"), "telemetry field time");
    event.job = value.at("job").get<std::string>();
    const auto& phase = value.at("phase");
    event.phase = {phase.at("name").get<std::string>(), json_number<int>(phase.at("index"), "telemetry phase index"),
                   json_number<int>(phase.at("count"), "telemetry phase count")};
    const auto kind = parse_event_kind(value.at("kind").get<std::string>());
    if (!kind) throw Error(ErrorCode::corrupt_file, "unknown event kind " + value.at("kind").dump());
    event.kind = *kind;
    take(value, "epoch", event.epoch);
    take(value, "epochs", event.epochs);
    take(value, "step", event.step);
    take(value, "steps", event.steps);
    take(value, "loss", event.loss);
    take(value, "lr", event.lr);
    take(value, "items_per_s", event.items_per_s);
    take(value, "eta_s", event.eta_s);
    if (value.contains("message")) event.message = value.at("message").get<std::string>();
    return event;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed telemetry event: ") + e.what());
  }
}

EventLog::EventLog(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw error_from_errno(errno, "cannot open the telemetry log", path_);
  if (ends_mid_line(fd_) && ::write(fd_, "\n", 1) != 1) {
    const int err = errno;
    ::close(fd_);
    throw error_from_errno(err, "cannot append to the telemetry log", path_);
  }
}

EventLog::~EventLog() {
  if (fd_ >= 0) ::close(fd_);
}

void EventLog::emit(const Event& event) {
  nlohmann::json value = event.to_json();
  if (event.time == 0) value["time"] = unix_time_now();
  // A message may carry a file name that is not UTF-8: written with U+FFFD rather than failing the run.
  const std::string line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  const ssize_t written = ::write(fd_, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) {
    throw error_from_errno(written < 0 ? errno : ENOSPC, "cannot append to the telemetry log", path_);
  }
  if (event.kind == EventKind::phase_end || event.kind == EventKind::error) ::fsync(fd_);
}

EventBatch read_events(const std::filesystem::path& path, std::uint64_t from_line) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(ErrorCode::not_found, "telemetry log not found", path, "check the job folder");
  }
  const std::vector<std::string> lines = read_complete_lines(path).lines;
  EventBatch batch;
  const std::uint64_t number = lines.size();
  for (std::uint64_t i = from_line; i < number; ++i) {
    const std::string line_number = std::to_string(i + 1);
    try {
      batch.events.push_back(Event::from_json(nlohmann::json::parse(lines[i])));
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorCode::corrupt_file, "telemetry line " + line_number + " is not JSON: " + e.what(), path,
                  "the log was edited or damaged; the job's checkpoints are unaffected");
    } catch (const Error& e) {
      throw Error(e.code(), "telemetry line " + line_number + ": " + e.message(), path, e.hint());
    }
  }
  batch.next_line = std::max(number, from_line);
  return batch;
}

}  // namespace wf::core
