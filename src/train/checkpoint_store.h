#pragma once
// Trainer checkpoints for exact resume, one folder per step: step-<N>/model.safetensors (the model's
// state_dict), optimizer.safetensors (AdamW moments and step per parameter, by parameter name) and
// trainer_state.json, which also records the size and CRC-32 of both tensor files, checked at load.
// A `latest` file names the newest complete one; it is replaced only after every file of the new
// checkpoint is on disk, so a crash mid-write leaves the previous checkpoint in force.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/state_dict.h"

namespace wf::train {

struct Checkpoint {
  std::int64_t step = 0;
  core::StateDict model;
  core::StateDict optimizer;
  nlohmann::json state;                // trainer_state.json: step, settings, anything the trainer adds
  std::filesystem::path state_file{};  // where load_latest read `state` (for errors about its contents)
};

class CheckpointStore {
 public:
  explicit CheckpointStore(std::filesystem::path folder) : folder_(std::move(folder)) {}

  // Writes step-<N>/, points `latest` at it and removes older step folders.
  void save(const Checkpoint& checkpoint) const;
  // The checkpoint `latest` names; nullopt when there is none. Damaged files (JSON that does not parse, a step
  // that is no count, a malformed manifest, tensor files that differ from the recorded size and CRC-32 or hold NaN
  // or infinity) throw wf::Error(corrupt_file) naming them.
  std::optional<Checkpoint> load_latest() const;
  // The checks load_latest makes, without loading the tensors; false when there is no checkpoint.
  bool verify_latest() const;
  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
};

}  // namespace wf::train
