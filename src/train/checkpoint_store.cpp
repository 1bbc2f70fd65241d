#include "train/checkpoint_store.h"

#include <cstdio>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_checksum.h"
#include "core/json_io.h"
#include "core/json_number.h"

namespace wf::train {
namespace {

std::string step_folder(std::int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step-%09lld", static_cast<long long>(step));
  return name;
}

constexpr const char* kTensorFiles[] = {"model.safetensors", "optimizer.safetensors"};

// Size and CRC-32 of each tensor file as it is on disk, for trainer_state.json's "files".
nlohmann::json manifest(const std::filesystem::path& folder) {
  nlohmann::json files = nlohmann::json::object();
  for (const char* name : kTensorFiles) {
    files[name] = {{"bytes", std::filesystem::file_size(folder / name)}, {"crc32", core::file_crc32(folder / name)}};
  }
  return files;
}

// A checkpoint whose files differ from its manifest (bit rot, a copy cut short, a hand edit) is refused by name.
void verify(const std::filesystem::path& folder, const nlohmann::json& files,
            const std::filesystem::path& checkpoints) {
  for (const char* name : kTensorFiles) {
    const auto path = folder / name;
    // Compared as JSON values: a manifest entry of another type differs, as a damaged one should.
    const nlohmann::json recorded = files.value(name, nlohmann::json::object());
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    const bool intact = !ec && recorded.is_object() && recorded.value("bytes", nlohmann::json()) == bytes &&
                        recorded.value("crc32", nlohmann::json()) == core::file_crc32(path);
    if (!intact) {
      throw Error(
          ErrorCode::corrupt_file,
          "this checkpoint file is damaged: it no longer matches the size and CRC-32 recorded when it was saved", path,
          "delete " + checkpoints.string() + " to train from the start (an exported model is kept)");
    }
  }
}

}  // namespace

void CheckpointStore::save(const Checkpoint& checkpoint) const {
  const std::string name = step_folder(checkpoint.step);
  const auto folder = folder_ / name;
  core::save_safetensors(folder / "model.safetensors", checkpoint.model);
  core::save_safetensors(folder / "optimizer.safetensors", checkpoint.optimizer);
  nlohmann::json state = checkpoint.state;
  state["step"] = checkpoint.step;
  state["files"] = manifest(folder);
  core::write_json_file(folder / "trainer_state.json", state);
  core::write_file_atomic(folder_ / "latest", name + "\n");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    const std::string other = entry.path().filename().string();
    if (entry.is_directory() && other.rfind("step-", 0) == 0 && other != name)
      std::filesystem::remove_all(entry.path(), ec);
  }
}

namespace {

// The folder `latest` names, or nullopt when there is no checkpoint; throws when `latest` names nothing.
std::optional<std::filesystem::path> latest_folder(const std::filesystem::path& checkpoints) {
  const auto latest = checkpoints / "latest";
  if (!std::filesystem::exists(latest)) return std::nullopt;
  std::string name;
  if (FILE* f = std::fopen(latest.c_str(), "r")) {
    char line[64] = {};
    if (std::fgets(line, sizeof(line), f)) name = line;
    std::fclose(f);
  }
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  const auto folder = checkpoints / name;
  if (name.rfind("step-", 0) != 0 || !std::filesystem::is_directory(folder)) {
    throw Error(ErrorCode::corrupt_file, "the latest checkpoint '" + name + "' is missing", latest,
                "delete the checkpoints folder to train from the start");
  }
  return folder;
}

// trainer_state.json, with both tensor files checked against the sizes and CRC-32s it records.
nlohmann::json verified_state(const std::filesystem::path& folder, const std::filesystem::path& checkpoints) {
  const auto path = folder / "trainer_state.json";
  nlohmann::json state = core::read_json_file(path);
  const auto damaged = [&](const std::string& what) {
    return Error(ErrorCode::corrupt_file, "this checkpoint's state is damaged: " + what, path,
                 "delete " + checkpoints.string() + " to train from the start");
  };
  if (!state.is_object() || !state.contains("step")) throw damaged("it has no step");
  std::int64_t step = 0;
  try {
    step = core::json_number<std::int64_t>(state.at("step"), "its step");
  } catch (const Error& e) {
    throw damaged(e.message());
  }
  if (step < 0) throw damaged("its step is " + std::to_string(step) + ", below 0");
  // Checkpoints written before the manifest existed carry none and load unchecked.
  if (state.contains("files")) {
    if (!state.at("files").is_object())
      throw damaged("its files are " + state.at("files").dump() + ", not their sizes and CRC-32s");
    verify(folder, state.at("files"), checkpoints);
  }
  return state;
}

}  // namespace

std::optional<Checkpoint> CheckpointStore::load_latest() const {
  const auto folder = latest_folder(folder_);
  if (!folder) return std::nullopt;
  Checkpoint checkpoint;
  checkpoint.state_file = *folder / "trainer_state.json";
  checkpoint.state = verified_state(*folder, folder_);
  checkpoint.step = checkpoint.state.at("step").get<std::int64_t>();
  try {
    checkpoint.model = core::load_safetensors(*folder / "model.safetensors");
    checkpoint.optimizer = core::load_safetensors(*folder / "optimizer.safetensors");
  } catch (const Error& e) {  // NaN saved by a run that diverged, or a file from elsewhere
    if (e.code() != ErrorCode::corrupt_file) throw;
    throw Error(e.code(), e.message(), e.path(), "delete " + folder_.string() + " to train from the start");
  }
  return checkpoint;
}

bool CheckpointStore::verify_latest() const {
  const auto folder = latest_folder(folder_);
  if (folder) verified_state(*folder, folder_);
  return folder.has_value();
}

}  // namespace wf::train
