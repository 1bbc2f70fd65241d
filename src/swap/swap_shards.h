#pragma once
// A long swap split across the ranks of a distributed launch (train/distributed.h: WORLD_SIZE, RANK, MASTER_ADDR,
// MASTER_PORT, as torchrun sets them). Rank r swaps its contiguous share of the frames; every rank but 0 writes
// its share into a lossless part beside the output and publishes the part's report entries through the ranks'
// store. Rank 0 swaps the first share straight into the output, appends the other parts in order as they come,
// writes the one report and deletes the parts. Each frame is swapped on its own, so the output is the one a
// single process writes. The output's folder must be on storage every rank sees.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace wf::core {
class ProcessGroup;
}

namespace wf::swap {

struct FrameRange {
  std::int64_t begin = 0, end = -1;  // [begin, end); end < 0: to the end of the video
};

// Rank `rank`'s share of a video of `frames` frames among `world` ranks: contiguous, sizes differing by one at
// most; the last share runs to the end of the video, so a container whose frame count is short loses no frame.
FrameRange shard_range(std::int64_t frames, int rank, int world);

// <dir>/.<stem>.part-<rank>.mkv for an output <dir>/<stem>.<ext>.
std::filesystem::path shard_part_path(const std::filesystem::path& output, int rank);

struct ShardReport {
  int rank = 0;
  std::int64_t frames = 0;                           // frames in its part (0: no part file)
  nlohmann::json swapped = nlohmann::json::array();  // its swap report entries
};

// A rank's report, for rank 0 to collect.
void publish_shard(core::ProcessGroup& group, const ShardReport& report);

// The reports of ranks 1 .. world-1, in rank order, once every one is in. `check` runs between polls of the store
// and throws to stop waiting (a cancel).
std::vector<ShardReport> collect_shards(core::ProcessGroup& group, const std::function<void()>& check);

// A rank that failed or was stopped tells the others to stop, and why; they see it through `abort_reason`.
void publish_abort(core::ProcessGroup& group, const std::string& why);
std::optional<std::string> abort_reason(core::ProcessGroup& group);

}  // namespace wf::swap
