#include "train/checkpoint_store.h"

#include <cstdio>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_io.h"

namespace wf::train {
namespace {

std::string step_folder(std::int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step-%09lld", static_cast<long long>(step));
  return name;
}

}  // namespace

void CheckpointStore::save(const Checkpoint& checkpoint) const {
  const std::string name = step_folder(checkpoint.step);
  const auto folder = folder_ / name;
  core::save_safetensors(folder / "model.safetensors", checkpoint.model);
  core::save_safetensors(folder / "optimizer.safetensors", checkpoint.optimizer);
  nlohmann::json state = checkpoint.state;
  state["step"] = checkpoint.step;
  core::write_json_file(folder / "trainer_state.json", state);
  core::write_file_atomic(folder_ / "latest", name + "\n");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    const std::string other = entry.path().filename().string();
    if (entry.is_directory() && other.rfind("step-", 0) == 0 && other != name) std::filesystem::remove_all(entry.path(), ec);
  }
}

std::optional<Checkpoint> CheckpointStore::load_latest() const {
  const auto latest = folder_ / "latest";
  if (!std::filesystem::exists(latest)) return std::nullopt;
  std::string name;
  if (FILE* f = std::fopen(latest.c_str(), "r")) {
    char line[64] = {};
    if (std::fgets(line, sizeof(line), f)) name = line;
    std::fclose(f);
  }
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  const auto folder = folder_ / name;
  if (name.rfind("step-", 0) != 0 || !std::filesystem::is_directory(folder)) {
    throw Error(ErrorCode::corrupt_file, "the latest checkpoint '" + name + "' is missing", latest,
                "delete the checkpoints folder to train from the start");
  }
  Checkpoint checkpoint;
  checkpoint.state = core::read_json_file(folder / "trainer_state.json");
  checkpoint.step = checkpoint.state.at("step").get<std::int64_t>();
  checkpoint.model = core::load_safetensors(folder / "model.safetensors");
  checkpoint.optimizer = core::load_safetensors(folder / "optimizer.safetensors");
  return checkpoint;
}

}  // namespace wf::train
