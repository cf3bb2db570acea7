#include "courier/clock.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "core_test_support.h"

namespace courier {
namespace {

using namespace std::chrono_literals;

TEST(StopSignal, CopiesShareOneSignal) {
  StopSignal coordinator;
  StopSignal decorator = coordinator;
  std::stop_token token = decorator.token();
  EXPECT_FALSE(token.stop_requested());
  coordinator.request_stop();
  coordinator.request_stop();  // idempotent
  EXPECT_TRUE(decorator.stop_requested());
  EXPECT_TRUE(token.stop_requested());
}

TEST(ManualClock, TimeMovesOnlyWhenAdvanced) {
  ManualClock clock;
  const TimePoint start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(250ms);
  EXPECT_EQ(clock.now() - start, 250ms);
}

TEST(ManualClock, AutoAdvanceJumpsToTheDeadlineAndRecordsTheWait) {
  ManualClock clock(ManualClock::Mode::kAutoAdvance);
  const TimePoint start = clock.now();
  EXPECT_TRUE(clock.wait_for(100ms, {}));
  EXPECT_TRUE(clock.wait_for(200ms, {}));
  EXPECT_TRUE(clock.wait_until(start, {}));  // already past: time does not go back
  EXPECT_EQ(clock.now() - start, 300ms);
  EXPECT_EQ(clock.requested_waits(), (std::vector<Duration>{100ms, 200ms, 0ms}));
}

TEST(ManualClock, AutoAdvanceDoesNotMoveTimeWhenStopped) {
  ManualClock clock(ManualClock::Mode::kAutoAdvance);
  StopSignal stop;
  stop.request_stop();
  const TimePoint start = clock.now();
  EXPECT_FALSE(clock.wait_for(1s, stop.token()));
  EXPECT_EQ(clock.now(), start);
}

TEST(ManualClock, WaiterWakesOnlyWhenTimeReachesItsDeadline) {
  ManualClock clock;
  auto waited = std::async(std::launch::async, [&] { return clock.wait_for(1s, {}); });
  ASSERT_TRUE(clock.wait_for_waiters(1));
  clock.advance(999ms);
  EXPECT_EQ(clock.waiters(), 1u);  // a wake-up short of the deadline goes back to sleep
  clock.advance(1ms);
  EXPECT_TRUE(waited.get());
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(ManualClock, StopWakesAWaiterAtOnce) {
  ManualClock clock;
  StopSignal stop;
  auto waited = std::async(std::launch::async, [&] { return clock.wait_for(1h, stop.token()); });
  ASSERT_TRUE(clock.wait_for_waiters(1));
  stop.request_stop();
  EXPECT_FALSE(waited.get());
}

TEST(ManualClock, SwitchingToAutoAdvanceReleasesAWaiter) {
  ManualClock clock;
  const TimePoint start = clock.now();
  auto waited = std::async(std::launch::async, [&] { return clock.wait_for(5s, {}); });
  ASSERT_TRUE(clock.wait_for_waiters(1));
  clock.set_mode(ManualClock::Mode::kAutoAdvance);
  EXPECT_TRUE(waited.get());
  EXPECT_EQ(clock.now() - start, 5s);
}

TEST(SystemClock, StopWakesAWaiterLongBeforeItsDeadline) {
  // Whether the stop lands before or during the wait, the wait must end now rather than in
  // an hour (a lost wake-up would hit the test timeout).
  StopSignal stop;
  auto waited =
      std::async(std::launch::async, [&] { return system_clock()->wait_for(1h, stop.token()); });
  stop.request_stop();
  EXPECT_FALSE(waited.get());
}

TEST(SystemClock, AlreadyStoppedWaitReturnsFalse) {
  StopSignal stop;
  stop.request_stop();
  EXPECT_FALSE(system_clock()->wait_for(1h, stop.token()));
}

TEST(SystemClock, PastDeadlineIsReachedAtOnce) {
  SystemClock clock;
  EXPECT_TRUE(clock.wait_until(clock.now() - 1s, {}));
}

TEST(DescribeDuration, UsesTheLargestFittingUnit) {
  EXPECT_EQ(describe_duration(0ms), "0s");
  EXPECT_EQ(describe_duration(250us), "250us");
  EXPECT_EQ(describe_duration(250ms), "250ms");
  EXPECT_EQ(describe_duration(1500ms), "1.5s");
  EXPECT_EQ(describe_duration(30s), "30s");
  EXPECT_EQ(describe_duration(150s), "2m30s");
  EXPECT_EQ(describe_duration(3600s), "1h");
  EXPECT_EQ(describe_duration(-2s), "-2s");
}

}  // namespace
}  // namespace courier
