#pragma once
// Work spread across processes and machines on libtorch's c10d with Gloo. A run started with
// WORLD_SIZE > 1 is one of WORLD_SIZE ranks (RANK) that meet through a TCPStore at MASTER_ADDR:MASTER_PORT, which
// rank 0 hosts: torchrun's variables, so a launcher that sets them for PyTorch sets them for WatserFace.
//
// The training loop spreads each optimizer step's micro-batches over the ranks (rank r computes micro-batches
// r*A .. r*A+A-1 of the W*A the step has, A being --accumulation) and sums their gradients, so W processes train
// the model one process trains with W times the accumulation, and each reads only its share of the data.
// Rank 0 alone writes checkpoints, telemetry and models. A swap splits the video by frame range the same way
// (swap/swap_shards.h). c10d's headers stay in process_group.cpp.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wf::core {

struct DistributedConfig {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// From WORLD_SIZE, RANK, MASTER_ADDR and MASTER_PORT; a world of 1 when WORLD_SIZE is unset. A malformed value
// (RANK outside 0..WORLD_SIZE-1, a port that is not one) throws wf::Error(invalid_input) naming the variable.
DistributedConfig distributed_config_from_environment();

enum class Reduce { sum, min, max };

class ProcessGroup {
 public:
  // Waits until every rank has joined; throws wf::Error naming MASTER_ADDR:MASTER_PORT when they do not in time.
  explicit ProcessGroup(const DistributedConfig& config);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return config_.rank; }
  int world_size() const { return config_.world_size; }

  // Reduces each tensor over the ranks, in place. Dense tensors of one dtype are packed into buckets of about
  // 25 MiB, so a model's gradients take a few collective calls, not one per parameter.
  void all_reduce(const std::vector<at::Tensor>& tensors, Reduce op = Reduce::sum);
  // Overwrites each tensor with rank `root`'s.
  void broadcast(const std::vector<at::Tensor>& tensors, int root = 0);

  // The rendezvous store every rank shares: small values by key, for ranks that work apart for a long time and
  // only report when done (a sharded swap), where a collective would time out waiting.
  void publish(const std::string& key, const std::string& value);
  std::optional<std::string> published(const std::string& key);  // nullopt until some rank published it

 private:
  struct Backend;
  DistributedConfig config_;
  std::unique_ptr<Backend> backend_;
};

// This process's group, joined on first use from the environment; nullptr when the world is one process.
ProcessGroup* process_group();

}  // namespace wf::core
