#include "courier/rate_limiter.h"

#include <gtest/gtest.h>

#include <future>

#include "core_test_support.h"

namespace courier {
namespace {

using namespace std::chrono_literals;
using testing::recording_applier;

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiterOptions ten_per_second(double burst) {
    return RateLimiterOptions{.rate_per_second = 10, .burst = burst, .clock = clock_};
  }
  void use_auto_advance() { clock_->set_mode(ManualClock::Mode::kAutoAdvance); }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_F(RateLimiterTest, StartsFullAndRefillsAtTheConfiguredRate) {
  RateLimiter limiter(ten_per_second(5));
  EXPECT_TRUE(limiter.try_acquire(5));
  EXPECT_FALSE(limiter.try_acquire(1));

  clock_->advance(100ms);  // 10/s: one token
  EXPECT_TRUE(limiter.try_acquire(1));
  EXPECT_FALSE(limiter.try_acquire(1));

  clock_->advance(250ms);  // two and a half tokens
  EXPECT_FALSE(limiter.try_acquire(3));
  EXPECT_TRUE(limiter.try_acquire(2));
  EXPECT_DOUBLE_EQ(limiter.available_tokens(), 0.5);
}

TEST_F(RateLimiterTest, RefillStopsAtTheBurst) {
  RateLimiter limiter(ten_per_second(5));
  EXPECT_TRUE(limiter.try_acquire(5));
  clock_->advance(1h);
  EXPECT_DOUBLE_EQ(limiter.available_tokens(), 5);
  EXPECT_FALSE(limiter.try_acquire(6));
  EXPECT_TRUE(limiter.try_acquire(5));
}

TEST_F(RateLimiterTest, DefaultBurstIsOneSecondsWorth) {
  RateLimiter limiter(ten_per_second(0));
  EXPECT_DOUBLE_EQ(limiter.available_tokens(), 10);
  RateLimiter slow(RateLimiterOptions{.rate_per_second = 0.1, .clock = clock_});
  EXPECT_DOUBLE_EQ(slow.available_tokens(), 1);  // never below one token
}

TEST_F(RateLimiterTest, AcquireWaitsOnTheClockForTheMissingTokens) {
  use_auto_advance();
  RateLimiter limiter(ten_per_second(10));
  EXPECT_TRUE(limiter.acquire(10));  // the full bucket: no wait
  EXPECT_TRUE(limiter.acquire(5));
  EXPECT_TRUE(limiter.acquire(1));
  EXPECT_EQ(clock_->requested_waits(), (std::vector<Duration>{500ms, 100ms}));
}

TEST_F(RateLimiterTest, AcquireMoreThanTheBurstWaitsForTheRefillInsteadOfFailing) {
  use_auto_advance();
  RateLimiter limiter(ten_per_second(10));
  EXPECT_TRUE(limiter.acquire(25));
  EXPECT_EQ(clock_->requested_waits(), (std::vector<Duration>{1500ms}));
  EXPECT_DOUBLE_EQ(limiter.available_tokens(), 0);
}

TEST_F(RateLimiterTest, WaitersAreServedInArrivalOrder) {
  RateLimiter limiter(ten_per_second(1));
  ASSERT_TRUE(limiter.try_acquire(1));
  auto first = std::async(std::launch::async, [&] { return limiter.acquire(2); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  auto second = std::async(std::launch::async, [&] { return limiter.acquire(1); });
  ASSERT_TRUE(clock_->wait_for_waiters(2));

  clock_->advance(200ms);  // the first one's two tokens
  EXPECT_TRUE(first.get());
  EXPECT_EQ(clock_->waiters(), 1u);  // the second queued behind it, not beside it
  clock_->advance(100ms);
  EXPECT_TRUE(second.get());
}

TEST_F(RateLimiterTest, StopInterruptsAcquireAndGivesTheReservationBack) {
  RateLimiter limiter(ten_per_second(5));
  ASSERT_TRUE(limiter.try_acquire(5));
  StopSignal stop;
  auto acquiring = std::async(std::launch::async, [&] { return limiter.acquire(3, stop.token()); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  EXPECT_DOUBLE_EQ(limiter.available_tokens(), -3);  // reserved while waiting
  stop.request_stop();
  EXPECT_FALSE(acquiring.get());
  EXPECT_DOUBLE_EQ(limiter.available_tokens(), 0);
}

TEST_F(RateLimiterTest, ManualWaiterGetsItsTokensWhenTimeCatchesUp) {
  RateLimiter limiter(ten_per_second(5));
  ASSERT_TRUE(limiter.try_acquire(5));
  auto acquiring = std::async(std::launch::async, [&] { return limiter.acquire(2); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  clock_->advance(100ms);
  EXPECT_EQ(clock_->waiters(), 1u);  // one token of two: still waiting
  clock_->advance(100ms);
  EXPECT_TRUE(acquiring.get());
}

TEST_F(RateLimiterTest, RejectsRatesThatAreNotPositive) {
  EXPECT_THROW(RateLimiter(RateLimiterOptions{.rate_per_second = 0, .clock = clock_}),
               std::invalid_argument);
  EXPECT_THROW(RateLimiter(RateLimiterOptions{.rate_per_second = 5, .burst = -1, .clock = clock_}),
               std::invalid_argument);
}

TEST_F(RateLimiterTest, ApplierTakesOneTokenPerRecord) {
  use_auto_advance();
  auto limiter = std::make_shared<RateLimiter>(ten_per_second(10));
  auto inner = recording_applier([](int) { return Status::Ok(); });
  RateLimitedApplier<int> limited(inner, limiter);

  EXPECT_TRUE(limited.apply(std::vector<int>{1, 2, 3, 4}).all_ok());
  EXPECT_TRUE(limited.apply(std::vector<int>{5, 6, 7, 8, 9, 10, 11, 12}).all_ok());

  EXPECT_EQ(clock_->requested_waits(), (std::vector<Duration>{200ms}));  // 12 records, 10 tokens
  EXPECT_EQ(inner->batches().size(), 2u);
}

TEST_F(RateLimiterTest, StoppedApplierFailsTheBatchAsCancelledWithoutSendingIt) {
  use_auto_advance();
  auto limiter = std::make_shared<RateLimiter>(ten_per_second(2));
  auto inner = recording_applier([](int) { return Status::Ok(); });
  StopSignal stop;
  RateLimitedApplier<int> limited(inner, limiter, stop.token());
  stop.request_stop();

  ApplyResult result = limited.apply(std::vector<int>{1, 2, 3});

  EXPECT_TRUE(inner->batches().empty());
  ASSERT_EQ(result.failed().size(), 3u);
  EXPECT_EQ(result.failed()[0].error.code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace courier
