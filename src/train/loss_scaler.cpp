#include "train/loss_scaler.h"

#include <ATen/ATen.h>

namespace wf::train {

bool LossScaler::unscale(const std::vector<at::Tensor>& parameters) {
  bool finite = true;
  for (const auto& p : parameters) {
    if (!p.grad().defined()) continue;
    if (enabled_) p.mutable_grad().div_(scale_);
    finite = finite && p.grad().isfinite().all().item<bool>();
  }
  return finite;
}

void LossScaler::update(bool step_was_finite) {
  if (!enabled_) return;
  if (!step_was_finite) {
    scale_ /= 2;
    good_steps_ = 0;
  } else if (++good_steps_ >= growth_interval_) {
    scale_ *= 2;
    good_steps_ = 0;
  }
}

}  // namespace wf::train
