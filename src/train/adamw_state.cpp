#include "train/adamw_state.h"

#include "core/error.h"
#include "core/torch_compat.h"

namespace wf::train {

core::StateDict adamw_state(const torch::optim::AdamW& optimizer, const torch::nn::Module& model) {
  core::StateDict out;
  const auto& states = optimizer.state();
  for (const auto& item : model.named_parameters()) {
    const auto it = states.find(core::optimizer_state_key(item.value()));
    if (it == states.end()) continue;  // never stepped (no gradient yet)
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    out[item.key() + ".exp_avg"] = s.exp_avg();
    out[item.key() + ".exp_avg_sq"] = s.exp_avg_sq();
    out[item.key() + ".step"] = at::scalar_tensor(s.step(), at::kLong);
  }
  return out;
}

void restore_adamw_state(torch::optim::AdamW& optimizer, const torch::nn::Module& model, const core::StateDict& state) {
  auto& states = optimizer.state();
  states.clear();
  for (const auto& item : model.named_parameters()) {
    const auto avg = state.find(item.key() + ".exp_avg");
    if (avg == state.end()) continue;
    const auto sq = state.find(item.key() + ".exp_avg_sq");
    const auto step = state.find(item.key() + ".step");
    if (sq == state.end() || step == state.end() || avg->second.sizes() != item.value().sizes() ||
        sq->second.sizes() != item.value().sizes()) {
      throw Error(ErrorCode::corrupt_file, "optimizer state for '" + item.key() + "' is incomplete or of another shape");
    }
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(step->second.item<int64_t>());
    s->exp_avg(avg->second.to(item.value().options()));
    s->exp_avg_sq(sq->second.to(item.value().options()));
    states[core::optimizer_state_key(item.value())] = std::move(s);
  }
}

}  // namespace wf::train
