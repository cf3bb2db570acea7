#include "courier/retry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <random>
#include <tuple>
#include <utility>

#include "core_test_support.h"

namespace courier {
namespace {

using namespace std::chrono_literals;
using testing::bad_payload;
using testing::connection_refused;
using testing::failure_codes;
using testing::recording_applier;
using testing::synced_positions;

constexpr double kNoJitter = 0.5;  // the middle of [0, 1) scales a delay by exactly 1

TEST(RetryPolicy, DefaultsAreThoseOfTheReference) {
  RetryPolicy policy;
  EXPECT_EQ(policy.max_attempts, 5u);
  EXPECT_EQ(policy.initial_delay, 100ms);
  EXPECT_EQ(policy.max_delay, 30s);
  EXPECT_EQ(policy.multiplier, 2.0);
  EXPECT_EQ(policy.jitter, 0.1);
}

TEST(RetryPolicy, ZeroMaxAttemptsNeverRunsOut) {
  EXPECT_TRUE(RetryPolicy{.max_attempts = 0}.allows_attempt_after(1'000'000));
  EXPECT_TRUE(RetryPolicy{.max_attempts = 3}.allows_attempt_after(2));
  EXPECT_FALSE(RetryPolicy{.max_attempts = 3}.allows_attempt_after(3));
}

TEST(DelayForAttempt, DefaultBackoffDoublesUpToTheCap) {
  const RetryPolicy policy{.jitter = 0};
  std::vector<Duration> delays;
  for (unsigned attempt = 1; attempt <= 11; ++attempt) {
    delays.push_back(delay_for_attempt(policy, attempt, 0.99));  // ignored: no jitter
  }
  EXPECT_EQ(delays, (std::vector<Duration>{100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 6400ms,
                                           12800ms, 25600ms, 30s, 30s}));
  EXPECT_EQ(delay_for_attempt(policy, 100'000, kNoJitter), 30s);  // 2^99999 overflows
}

TEST(DelayForAttempt, JitterScalesByPlusOrMinusItsFraction) {
  const RetryPolicy policy;  // 10 %
  EXPECT_EQ(delay_for_attempt(policy, 1, 0.0), 90ms);
  EXPECT_EQ(delay_for_attempt(policy, 1, kNoJitter), 100ms);
  EXPECT_EQ(delay_for_attempt(policy, 1, 1.0), 110ms);
}

TEST(DelayForAttempt, JitterStaysWithinBoundsOverManyDraws) {
  const RetryPolicy policy;
  std::mt19937_64 engine(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Duration lowest = Duration::max();
  Duration highest = Duration::min();
  for (int draw = 0; draw < 10'000; ++draw) {
    const Duration delay = delay_for_attempt(policy, 3, unit(engine));  // 400 ms ± 40 ms
    lowest = std::min(lowest, delay);
    highest = std::max(highest, delay);
  }
  EXPECT_GE(lowest, 360ms);
  EXPECT_LE(highest, 440ms);
  // The draws really spread over the range, so the bounds above are not met trivially.
  EXPECT_LT(lowest, 362ms);
  EXPECT_GT(highest, 438ms);
}

TEST(DelayForAttempt, JitterNeverExceedsTheCap) {
  const RetryPolicy policy{.jitter = 0.5};
  std::mt19937_64 engine(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int draw = 0; draw < 1'000; ++draw) {
    const Duration delay = delay_for_attempt(policy, 20, unit(engine));
    EXPECT_LE(delay, 30s);
    EXPECT_GE(delay, 15s);
  }
}

TEST(DelayForAttempt, NeverNegative) {
  const RetryPolicy policy{.initial_delay = -5ms, .jitter = 1.0};
  EXPECT_EQ(delay_for_attempt(policy, 1, 0.0), 0ms);
  EXPECT_EQ(delay_for_attempt(RetryPolicy{.jitter = 3.0}, 1, 0.0), 0ms);  // jitter above 1
}

TEST(ThreadLocalRandom, DrawsFromTheUnitInterval) {
  UniformRandom random = thread_local_random();
  for (int draw = 0; draw < 1'000; ++draw) {
    const double value = random();
    EXPECT_GE(value, 0.0);
    EXPECT_LT(value, 1.0);
  }
}

// A retrying applier on an auto-advancing clock, without jitter: every backoff is
// recorded by the clock and no real time passes.
class RetryingApplierTest : public ::testing::Test {
 protected:
  RetryOptions options(RetryPolicy policy = {}) {
    policy.jitter = 0;
    return RetryOptions{.policy = policy, .clock = clock_, .stop = stop_.token(), .random = [] {
                          return kNoJitter;
                        }};
  }
  std::vector<Duration> waits() const { return clock_->requested_waits(); }

  std::shared_ptr<ManualClock> clock_ =
      std::make_shared<ManualClock>(ManualClock::Mode::kAutoAdvance);
  StopSignal stop_;
  const std::vector<int> batch_{10, 11, 12, 13, 14};
};

TEST_F(RetryingApplierTest, OnlyTheFailedSubsetIsRetried) {
  std::map<int, int> failures_left{{11, 1}, {13, 2}};
  auto inner = recording_applier([&](int record) {
    if (failures_left[record] == 0) return Status::Ok();
    --failures_left[record];
    return connection_refused();
  });
  RetryingApplier<int> retrying(inner, options());

  ApplyResult result = retrying.apply(batch_);

  EXPECT_EQ(inner->batches(),
            (std::vector<std::vector<int>>{{10, 11, 12, 13, 14}, {11, 13}, {13}}));
  EXPECT_EQ(synced_positions(result), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(result.failed().empty());
  EXPECT_EQ(waits(), (std::vector<Duration>{100ms, 200ms}));
}

TEST_F(RetryingApplierTest, FailuresAreReportedAtTheirPositionsInTheOriginalBatch) {
  auto inner = recording_applier([](int record) {
    if (record == 11) return bad_payload();
    if (record == 13) return connection_refused();
    return Status::Ok();
  });
  RetryingApplier<int> retrying(inner, options({.max_attempts = 3}));

  ApplyResult result = retrying.apply(batch_);

  EXPECT_EQ(synced_positions(result), (std::vector<size_t>{0, 2, 4}));
  EXPECT_EQ(failure_codes(result), (std::map<size_t, StatusCode>{{1, StatusCode::kInvalidArgument},
                                                                 {3, StatusCode::kUnavailable}}));
  for (const RecordFailure& failure : result.failed()) {
    if (failure.index == 3) {
      EXPECT_EQ(failure.error.message(), "gave up after 3 tries: connection refused");
    }
  }
  EXPECT_EQ(inner->batches(), (std::vector<std::vector<int>>{{10, 11, 12, 13, 14}, {13}, {13}}));
}

TEST_F(RetryingApplierTest, DeadLetteredRecordsStayHandledThroughRetries) {
  // An inner applier that dead-letters record 11 at once and fails 13 once: 11 must come
  // back dead-lettered (handled), not vanish from the result, on the first try and after
  // a retry of the subset.
  bool first_try_of_13 = true;
  auto inner = std::make_shared<testing::RecordingApplier>([&](std::span<const int> batch) {
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i] == 11) {
        result.add_dead_lettered(i);
      } else if (batch[i] == 13 && std::exchange(first_try_of_13, false)) {
        result.add_failed(i, connection_refused());
      } else if (batch[i] == 13) {
        result.add_dead_lettered(i);
      } else {
        result.add_synced(i);
      }
    }
    return result;
  });
  RetryingApplier<int> retrying(inner, options());

  ApplyResult result = retrying.apply(batch_);

  EXPECT_EQ(synced_positions(result), (std::vector<size_t>{0, 2, 4}));
  std::vector<size_t> dead_lettered = result.dead_lettered();
  std::sort(dead_lettered.begin(), dead_lettered.end());
  EXPECT_EQ(dead_lettered, (std::vector<size_t>{1, 3}));
  EXPECT_TRUE(result.failed().empty());
}

TEST_F(RetryingApplierTest, PermanentErrorsAreNotRetried) {
  auto inner = recording_applier([](int) { return bad_payload(); });
  int retries = 0;
  RetryOptions retry = options();
  retry.on_retry = [&](unsigned, Duration, const Status&, size_t) { ++retries; };
  RetryingApplier<int> retrying(inner, retry);

  ApplyResult result = retrying.apply(batch_);

  EXPECT_EQ(inner->batches().size(), 1u);
  EXPECT_EQ(retries, 0);
  EXPECT_TRUE(waits().empty());
  ASSERT_EQ(result.failed().size(), 5u);
  EXPECT_EQ(result.failed()[0].error.message(), "bad payload");  // reported as it came
}

TEST_F(RetryingApplierTest, OnRetrySeesTheErrorTheDelayAndTheRecordsLeft) {
  std::map<int, int> failures_left{{10, 2}, {12, 1}};
  auto inner = recording_applier([&](int record) {
    if (failures_left[record] == 0) return Status::Ok();
    --failures_left[record];
    return Status(StatusCode::kAborted, "deadlock detected", "40P01");
  });
  using Retry = std::tuple<unsigned, Duration, std::string, std::string, size_t>;
  std::vector<Retry> retries;
  RetryOptions retry = options();
  retry.on_retry = [&](unsigned attempt, Duration delay, const Status& error, size_t records) {
    retries.emplace_back(attempt, delay, error.message(), error.detail(), records);
  };
  RetryingApplier<int> retrying(inner, retry);

  ApplyResult result = retrying.apply(batch_);

  EXPECT_TRUE(result.all_ok());
  EXPECT_EQ(retries, (std::vector<Retry>{{1, 100ms, "deadlock detected", "40P01", 2},
                                         {2, 200ms, "deadlock detected", "40P01", 1}}));
}

TEST_F(RetryingApplierTest, ZeroMaxAttemptsRetriesUntilStopped) {
  auto inner = recording_applier([](int) { return connection_refused(); });
  RetryOptions retry = options({.max_attempts = 0});
  retry.on_retry = [&](unsigned attempt, Duration, const Status&, size_t) {
    if (attempt == 50) stop_.request_stop();
  };
  RetryingApplier<int> retrying(inner, retry);

  ApplyResult result = retrying.apply(std::vector<int>{7});

  EXPECT_EQ(inner->batches().size(), 50u);  // far beyond the default 5
  ASSERT_EQ(result.failed().size(), 1u);
  EXPECT_EQ(result.failed()[0].error.code(), StatusCode::kCancelled);
  EXPECT_EQ(result.failed()[0].error.message(),
            "stopped while retrying, after 50 tries; last error: unavailable: connection "
            "refused");
  EXPECT_EQ(waits().back(), 30s);  // the cap holds however long it runs
}

TEST_F(RetryingApplierTest, StopEndsABackoffAtOnce) {
  auto manual_clock = std::make_shared<ManualClock>();  // time stands still
  auto inner = recording_applier(
      [](int record) { return record == 12 ? connection_refused() : Status::Ok(); });
  RetryOptions retry = options();
  retry.clock = manual_clock;
  RetryingApplier<int> retrying(inner, retry);

  auto applying = std::async(std::launch::async, [&] { return retrying.apply(batch_); });
  ASSERT_TRUE(manual_clock->wait_for_waiters(1));  // blocked in the first backoff
  stop_.request_stop();
  ApplyResult result = applying.get();

  EXPECT_EQ(inner->batches().size(), 1u);
  EXPECT_EQ(synced_positions(result), (std::vector<size_t>{0, 1, 3, 4}));
  EXPECT_EQ(failure_codes(result), (std::map<size_t, StatusCode>{{2, StatusCode::kCancelled}}));
}

TEST_F(RetryingApplierTest, FatalResultIsPassedThroughAtOnce) {
  auto inner = std::make_shared<testing::RecordingApplier>([](std::span<const int>) {
    return ApplyResult::fatal_error(Status(StatusCode::kFailedPrecondition, "NOAUTH"));
  });
  RetryingApplier<int> retrying(inner, options());

  ApplyResult result = retrying.apply(batch_);

  EXPECT_TRUE(result.is_fatal());
  EXPECT_EQ(result.fatal().message(), "NOAUTH");
  EXPECT_EQ(inner->batches().size(), 1u);
}

TEST_F(RetryingApplierTest, OutOfRangeIndexFromTheInnerApplierIsFatal) {
  auto inner = std::make_shared<testing::RecordingApplier>([](std::span<const int> batch) {
    ApplyResult result;
    result.add_synced(batch.size());
    return result;
  });
  RetryingApplier<int> retrying(inner, options());
  ApplyResult result = retrying.apply(batch_);
  EXPECT_TRUE(result.is_fatal());
  EXPECT_EQ(result.fatal().code(), StatusCode::kInternal);
}

TEST_F(RetryingApplierTest, MissingInnerApplierIsRejectedAtConstruction) {
  EXPECT_THROW(RetryingApplier<int>(nullptr, options()), std::invalid_argument);
}

TEST_F(RetryingApplierTest, RetryCallRetriesUntilOk) {
  int calls = 0;
  Status status =
      retry_call(options(), [&] { return ++calls < 3 ? connection_refused() : Status::Ok(); });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(waits(), (std::vector<Duration>{100ms, 200ms}));
}

TEST_F(RetryingApplierTest, RetryCallReturnsTheValueOfAResult) {
  int calls = 0;
  Result<int> port = retry_call(options(), [&]() -> Result<int> {
    if (++calls == 1) return connection_refused();
    return 5432;
  });
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(*port, 5432);
}

TEST_F(RetryingApplierTest, RetryCallDoesNotRetryPermanentErrors) {
  int calls = 0;
  Status status = retry_call(options(), [&] {
    ++calls;
    return bad_payload();
  });
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
}

TEST_F(RetryingApplierTest, RetryCallGivesUpAfterMaxAttempts) {
  int calls = 0;
  Status status = retry_call(options(), [&] {
    ++calls;
    return Status(StatusCode::kUnavailable, "connection refused", "08006");
  });
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "gave up after 5 tries: connection refused");
  EXPECT_EQ(status.detail(), "08006");
  EXPECT_EQ(waits(), (std::vector<Duration>{100ms, 200ms, 400ms, 800ms}));
}

TEST_F(RetryingApplierTest, RetryCallUsesTheInjectedRandomForJitter) {
  RetryOptions retry = options();
  retry.policy.jitter = 0.1;
  retry.random = [] { return 0.0; };  // the lowest jitter every time
  int calls = 0;
  Status status = retry_call(retry, [&] { return ++calls < 3 ? connection_refused() : Status(); });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(waits(), (std::vector<Duration>{90ms, 180ms}));
}

}  // namespace
}  // namespace courier
