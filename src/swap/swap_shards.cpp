#include "swap/swap_shards.h"

#include <chrono>
#include <thread>

#include "core/log.h"
#include "core/process_group.h"

namespace wf::swap {
namespace {

constexpr const char* kAbortKey = "watserface/swap/abort";

std::string shard_key(int rank) {
  return "watserface/swap/part/" + std::to_string(rank);
}

}  // namespace

FrameRange shard_range(std::int64_t frames, int rank, int world) {
  const std::int64_t begin = frames * rank / world;
  return {begin, rank + 1 == world ? -1 : frames * (rank + 1) / world};
}

std::filesystem::path shard_part_path(const std::filesystem::path& output, int rank) {
  return output.parent_path() / ("." + output.stem().string() + ".part-" + std::to_string(rank) + ".mkv");
}

void publish_shard(core::ProcessGroup& group, const ShardReport& report) {
  const nlohmann::json json = {{"rank", report.rank}, {"frames", report.frames}, {"swapped", report.swapped}};
  group.publish(shard_key(report.rank), json.dump());
}

std::vector<ShardReport> collect_shards(core::ProcessGroup& group, const std::function<void()>& check) {
  std::vector<ShardReport> reports;
  for (int rank = 1; rank < group.world_size(); ++rank) {
    bool announced = false;
    std::optional<std::string> text;
    while (!(text = group.published(shard_key(rank)))) {
      check();
      if (!announced) log::info("swap.shards", "waiting for rank {}'s share of the swap", rank);
      announced = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    const nlohmann::json json = nlohmann::json::parse(*text);
    ShardReport report;
    report.rank = json.at("rank").get<int>();
    report.frames = json.at("frames").get<std::int64_t>();
    report.swapped = json.at("swapped");
    reports.push_back(std::move(report));
  }
  return reports;
}

void publish_abort(core::ProcessGroup& group, const std::string& why) {
  group.publish(kAbortKey, why);
}

std::optional<std::string> abort_reason(core::ProcessGroup& group) {
  return group.published(kAbortKey);
}

}  // namespace wf::swap
