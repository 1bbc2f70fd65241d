// The ETA of a pass of steps, fed the times a run would have: the warm-up of the first step is not taken for the
// pace, checkpoint saves are spread over the steps between them, a machine that slows down is followed.

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "jobs/step_pace.h"

namespace wf::jobs {
namespace {

// The time each step of `steps` ends at, when step k takes cost(k) seconds.
std::vector<double> step_times(int steps, const std::function<double(int)>& cost) {
  std::vector<double> times(steps + 1, 0.0);
  for (int k = 1; k <= steps; ++k) times[k] = times[k - 1] + cost(k);
  return times;
}

// The ETA given at step `at` over the time the steps after it really took.
double eta_ratio(const std::vector<double>& times, int at) {
  StepPace pace;
  const auto steps = static_cast<std::int64_t>(times.size() - 1);
  std::optional<double> eta;
  for (int k = 1; k <= at; ++k) eta = pace.observe(k, steps, times[k]);
  return eta.value() / (times.back() - times[at]);
}

TEST(StepPace, TheFirstStepsWarmUpIsNotTakenForThePace) {
  const auto times = step_times(40, [](int k) { return k == 2 ? 1.0 : 0.1; });  // step 1 → 2 ten times slower
  EXPECT_NEAR(eta_ratio(times, 4), 1.0, 0.02);
}

TEST(StepPace, CheckpointSavesAreSpreadOverTheStepsBetweenThem) {
  const auto times = step_times(40, [](int k) { return 0.1 + (k % 5 == 0 ? 0.25 : 0.0); });
  EXPECT_NEAR(eta_ratio(times, 13), 1.0, 0.1);  // a third in, two saves seen
  EXPECT_NEAR(eta_ratio(times, 30), 1.0, 0.1);
}

TEST(StepPace, AMachineThatSlowsDownIsFollowed) {
  const auto times = step_times(80, [](int k) { return k > 20 ? 0.2 : 0.1; });
  EXPECT_NEAR(eta_ratio(times, 50), 1.0, 0.05);
}

TEST(StepPace, NoEtaUntilThePaceIsKnownAndNoneLeftAtTheEnd) {
  StepPace pace;
  EXPECT_FALSE(pace.observe(1, 10, 0.0));
  EXPECT_FALSE(pace.observe(2, 10, 5.0));  // only the warm-up interval so far
  EXPECT_FALSE(pace.observe(2, 10, 5.5));  // the same step again is no new step
  EXPECT_NEAR(pace.observe(3, 10, 6.0).value(), 7.0, 1e-9);
  EXPECT_NEAR(pace.observe(10, 10, 13.0).value(), 0.0, 1e-9);
  pace.reset();
  EXPECT_FALSE(pace.observe(1, 10, 20.0));
}

}  // namespace
}  // namespace wf::jobs
