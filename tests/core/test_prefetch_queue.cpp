#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "core/prefetch_queue.h"

namespace wf::core {
namespace {

TEST(PrefetchQueue, GivesEveryValueInOrderMadeOnItsOwnThreadThenTheEnd) {
  const std::thread::id consumer = std::this_thread::get_id();
  std::atomic<bool> elsewhere = true;
  int made = 0;
  PrefetchQueue<int> queue(
      [&]() -> std::optional<int> {
        if (std::this_thread::get_id() == consumer) elsewhere = false;
        if (made == 5) return std::nullopt;
        return made++;
      },
      2);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(queue.next(), i);
  EXPECT_EQ(queue.next(), std::nullopt);
  EXPECT_EQ(queue.next(), std::nullopt);
  EXPECT_TRUE(elsewhere);
}

TEST(PrefetchQueue, RunsAheadByAtMostItsDepth) {
  std::atomic<int> made = 0;
  PrefetchQueue<int> queue([&]() -> std::optional<int> { return made++; }, 3);
  for (int i = 0; i < 200 && made < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // time to overrun, were it to
  EXPECT_EQ(made, 3);
  EXPECT_EQ(queue.next(), 0);
  for (int i = 0; i < 200 && made < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(made, 4);
}

TEST(PrefetchQueue, RethrowsWhatTheProducerThrewAfterTheValuesBeforeIt) {
  int made = 0;
  PrefetchQueue<int> queue(
      [&]() -> std::optional<int> {
        if (made == 2) throw std::runtime_error("disk gone");
        return made++;
      },
      4);
  EXPECT_EQ(queue.next(), 0);
  EXPECT_EQ(queue.next(), 1);
  EXPECT_THROW(
      {
        try {
          queue.next();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "disk gone");
          throw;
        }
      },
      std::runtime_error);
}

TEST(PrefetchQueue, StopsWhenDroppedBeforeTheEnd) {
  std::atomic<int> made = 0;
  {
    PrefetchQueue<int> endless([&]() -> std::optional<int> { return made++; }, 2);
    EXPECT_EQ(endless.next(), 0);
  }  // joins instead of running on
  const int at_stop = made;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(made, at_stop);
  EXPECT_LE(at_stop, 4);
}

}  // namespace
}  // namespace wf::core
