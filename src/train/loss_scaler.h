#pragma once
// Dynamic loss scaling for fp16 training (what PyTorch's GradScaler does): the loss is multiplied by the
// scale before backward; gradients are divided back before the step; a step whose gradients hold inf or
// NaN is skipped and the scale halves; after `growth_interval` good steps it doubles.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace wf::train {

class LossScaler {
 public:
  explicit LossScaler(bool enabled, double initial_scale = 65536.0, std::int64_t growth_interval = 2000)
      : enabled_(enabled), scale_(enabled ? initial_scale : 1.0), growth_interval_(growth_interval) {}

  at::Tensor scale(const at::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }
  // Unscales the gradients in place; false when they are not finite (skip this optimizer step).
  bool unscale(const std::vector<at::Tensor>& parameters);
  // After each optimizer step attempt: grows or backs off the scale.
  void update(bool step_was_finite);
  double scale_value() const { return scale_; }

 private:
  bool enabled_;
  double scale_;
  std::int64_t growth_interval_;
  std::int64_t good_steps_ = 0;
};

}  // namespace wf::train
