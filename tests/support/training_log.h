#pragma once
// What a trainer's telemetry says, for the training tests: the fixed-noise loss of every epoch event (its message
// is the evaluation's metrics as JSON) and every sample image announced.

#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/events.h"

namespace wf::test {

class TrainingLog final : public core::EventSink {
 public:
  void emit(const core::Event& event) override {
    if (event.kind == core::EventKind::epoch) losses.push_back(nlohmann::json::parse(event.message).at("fixed_loss"));
    if (event.kind == core::EventKind::sample) samples.push_back(event.message);
  }
  // The property every trainer's sanity test asserts: `epochs` evaluations, the last under half the first.
  void expect_loss_halved(std::size_t epochs) const {
    ASSERT_EQ(losses.size(), epochs);
    std::cout << "fixed-noise loss: first step " << losses.front() << ", last " << losses.back() << "\n";
    EXPECT_LT(losses.back(), 0.5 * losses.front());
  }

  std::vector<double> losses;
  std::vector<std::string> samples;
};

}  // namespace wf::test
