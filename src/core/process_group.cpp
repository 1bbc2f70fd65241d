#include "core/process_group.h"

#include <ATen/ATen.h>

// libtorch is built with Gloo (Debian's, and PyTorch's wheels); its header is guarded by the build's own macro,
// which Debian's TorchConfig.cmake passes on and a wheel's may not.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/error.h"

namespace wf::core {
namespace {

constexpr std::int64_t kBucketBytes = std::int64_t{25} << 20;  // what PyTorch's DDP uses

// An integer environment variable in [low, high], or `fallback` when unset.
int environment_int(const char* name, int fallback, int low, int high) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  int value = 0;
  const char* end = text + std::char_traits<char>::length(text);
  const auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc() || stop != end || value < low || value > high) {
    throw Error(ErrorCode::invalid_input,
                std::string(name) + " is '" + text + "', not a whole number from " + std::to_string(low) + " to " +
                    std::to_string(high),
                {}, "set it as torchrun does: WORLD_SIZE processes, RANK 0 to WORLD_SIZE-1, MASTER_PORT a free port");
  }
  return value;
}

c10d::ReduceOp reduce_op(Reduce op) {
  switch (op) {
    case Reduce::min: return c10d::ReduceOp::MIN;
    case Reduce::max: return c10d::ReduceOp::MAX;
    case Reduce::sum: break;
  }
  return c10d::ReduceOp::SUM;
}

// The tensors in groups of one dtype and device, each group at most kBucketBytes unless one tensor is larger.
std::vector<std::vector<at::Tensor>> buckets(const std::vector<at::Tensor>& tensors) {
  std::vector<std::vector<at::Tensor>> out;
  std::int64_t bytes = 0;
  for (const auto& tensor : tensors) {
    const bool fits = !out.empty() && out.back().front().scalar_type() == tensor.scalar_type() &&
                      out.back().front().device() == tensor.device() &&
                      bytes + static_cast<std::int64_t>(tensor.nbytes()) <= kBucketBytes;
    if (!fits) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(tensor);
    bytes += static_cast<std::int64_t>(tensor.nbytes());
  }
  return out;
}

// The network interface Gloo talks on: GLOO_SOCKET_IFNAME's as in PyTorch; loopback when every rank is on this
// machine; else the one this machine's host name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistributedConfig& config) {
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  }
  const std::string& addr = config.master_addr;
  if (addr == "localhost" || addr == "::1" || addr.rfind("127.", 0) == 0) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

Error lost(int rank, const std::string& what, const c10::Error& e, std::string fix) {
  return Error(ErrorCode::invalid_input,
               "rank " + std::to_string(rank) + " lost " + what + ": " + e.what_without_backtrace(), {},
               std::move(fix));
}

}  // namespace

struct ProcessGroup::Backend {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};

DistributedConfig distributed_config_from_environment() {
  DistributedConfig config;
  config.world_size = environment_int("WORLD_SIZE", 1, 1, 65536);
  config.rank = environment_int("RANK", 0, 0, config.world_size - 1);
  config.master_port = environment_int("MASTER_PORT", config.master_port, 1, 65535);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) config.master_addr = addr;
  return config;
}

ProcessGroup::ProcessGroup(const DistributedConfig& config) : config_(config), backend_(std::make_unique<Backend>()) {
  const std::string where = config.master_addr + ":" + std::to_string(config.master_port);
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(config.master_port);
    options.isServer = config.rank == 0;
    options.numWorkers = static_cast<std::size_t>(config.world_size);
    backend_->store = c10::make_intrusive<c10d::TCPStore>(config.master_addr, options);
    auto gloo_options = c10d::ProcessGroupGloo::Options::create();
    gloo_options->devices.push_back(gloo_device(config));
    backend_->gloo =
        c10::make_intrusive<c10d::ProcessGroupGloo>(backend_->store, config.rank, config.world_size, gloo_options);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::invalid_input,
                "rank " + std::to_string(config.rank) + " of " + std::to_string(config.world_size) +
                    " could not join the others at " + where + ": " + e.what(),
                {},
                "start all WORLD_SIZE processes with the same MASTER_ADDR and MASTER_PORT (a free port rank 0 can "
                "listen on, that the others can reach)");
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::all_reduce(const std::vector<at::Tensor>& tensors, Reduce op) {
  c10d::AllreduceOptions options;
  options.reduceOp = reduce_op(op);
  try {
    for (const auto& bucket : buckets(tensors)) {
      std::vector<at::Tensor> flat_views;
      for (const auto& tensor : bucket) flat_views.push_back(tensor.reshape({-1}));
      std::vector<at::Tensor> packed = {at::cat(flat_views)};
      backend_->gloo->allreduce(packed, options)->wait();
      std::int64_t offset = 0;
      for (const auto& tensor : bucket) {
        tensor.copy_(packed.front().narrow(0, offset, tensor.numel()).view(tensor.sizes()));
        offset += tensor.numel();
      }
    }
  } catch (const c10::Error& e) {
    throw lost(rank(), "the other ranks", e,
               "a rank stopped or its machine became unreachable; start every rank again to resume from the last "
               "checkpoint");
  }
}

void ProcessGroup::broadcast(const std::vector<at::Tensor>& tensors, int root) {
  c10d::BroadcastOptions options;
  options.rootRank = root;
  try {
    for (const auto& tensor : tensors) {
      std::vector<at::Tensor> one = {tensor.is_contiguous() ? tensor : tensor.contiguous()};
      backend_->gloo->broadcast(one, options)->wait();
      if (!one.front().is_same(tensor)) tensor.copy_(one.front());
    }
  } catch (const c10::Error& e) {
    throw lost(rank(), "the other ranks", e,
               "a rank stopped or its machine became unreachable; start every rank again");
  }
}

void ProcessGroup::publish(const std::string& key, const std::string& value) {
  try {
    backend_->store->set(key, std::vector<std::uint8_t>(value.begin(), value.end()));
  } catch (const c10::Error& e) {
    throw lost(rank(), "rank 0's store", e, "rank 0 stopped or its machine became unreachable; start every rank again");
  }
}

std::optional<std::string> ProcessGroup::published(const std::string& key) {
  try {
    if (!backend_->store->check({key})) return std::nullopt;
    const std::vector<std::uint8_t> value = backend_->store->get(key);
    return std::string(value.begin(), value.end());
  } catch (const c10::Error& e) {
    throw lost(rank(), "rank 0's store", e, "rank 0 stopped or its machine became unreachable; start every rank again");
  }
}

ProcessGroup* process_group() {
  static std::once_flag once;
  static std::unique_ptr<ProcessGroup> group;
  std::call_once(once, [] {
    const DistributedConfig config = distributed_config_from_environment();
    if (config.world_size > 1) group = std::make_unique<ProcessGroup>(config);
  });
  return group.get();
}

}  // namespace wf::core
