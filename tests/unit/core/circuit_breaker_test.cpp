#include "courier/circuit_breaker.h"

#include <gtest/gtest.h>

#include "core_test_support.h"

namespace courier {
namespace {

using namespace std::chrono_literals;
using testing::bad_payload;
using testing::connection_refused;
using testing::recording_applier;

// The reference's defaults (5 failures, 30 s, 1 probe, 2 successes) on a manual clock,
// with every transition logged.
class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerOptions options() {
    return CircuitBreakerOptions{.name = "redis-sink",
                                 .clock = clock_,
                                 .on_transition = [this](CircuitState from, CircuitState to) {
                                   transitions_.push_back(std::string(circuit_state_name(from)) +
                                                          "->" +
                                                          std::string(circuit_state_name(to)));
                                 }};
  }

  static void fail_calls(CircuitBreaker& breaker, int calls) {
    for (int call = 0; call < calls; ++call) {
      auto permit = breaker.try_acquire();
      ASSERT_TRUE(permit.has_value()) << "call " << call << " was rejected";
      permit->record(CallOutcome::kFailure);
    }
  }
  static void succeed_call(CircuitBreaker& breaker) {
    auto permit = breaker.try_acquire();
    ASSERT_TRUE(permit.has_value());
    permit->record(CallOutcome::kSuccess);
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::vector<std::string> transitions_;
};

TEST_F(CircuitBreakerTest, DefaultsAreThoseOfTheReferenceWithOneProbe) {
  CircuitBreakerOptions defaults;
  EXPECT_EQ(defaults.failure_threshold, 5u);
  EXPECT_EQ(defaults.open_timeout, 30s);
  EXPECT_EQ(defaults.half_open_max_calls, 1u);
  EXPECT_EQ(defaults.success_threshold, 2u);
}

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailures) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 4);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
  fail_calls(breaker, 1);
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
  EXPECT_FALSE(breaker.try_acquire().has_value());
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open"}));
}

TEST_F(CircuitBreakerTest, SuccessResetsTheFailureCount) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 4);
  succeed_call(breaker);
  fail_calls(breaker, 4);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, ClosesAgainAfterTheTimeoutAndTwoSuccessfulProbes) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 5);
  clock_->advance(29s);
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
  clock_->advance(1s);
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);
  succeed_call(breaker);
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);
  succeed_call(breaker);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
  EXPECT_EQ(transitions_,
            (std::vector<std::string>{"closed->open", "open->half_open", "half_open->closed"}));
}

TEST_F(CircuitBreakerTest, FailedProbeOpensItAgainForAFullTimeout) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 5);
  clock_->advance(30s);
  succeed_call(breaker);
  fail_calls(breaker, 1);  // one failure is enough while half-open
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
  clock_->advance(29s);
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
  clock_->advance(1s);
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open", "open->half_open",
                                                    "half_open->open", "open->half_open"}));
}

TEST_F(CircuitBreakerTest, HalfOpenRejectsASecondConcurrentProbe) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 5);
  clock_->advance(30s);
  const uint64_t rejected_before = breaker.rejected_calls();

  auto probe = breaker.try_acquire();
  ASSERT_TRUE(probe.has_value());
  EXPECT_FALSE(breaker.try_acquire().has_value());  // the one probe slot is taken
  EXPECT_EQ(breaker.rejected_calls(), rejected_before + 1);

  probe->record(CallOutcome::kSuccess);
  EXPECT_TRUE(breaker.try_acquire().has_value());  // the slot is free again
}

TEST_F(CircuitBreakerTest, HalfOpenLetsThroughAtMostItsProbeLimit) {
  CircuitBreakerOptions limited = options();
  limited.half_open_max_calls = 2;
  CircuitBreaker breaker(limited);
  fail_calls(breaker, 5);
  clock_->advance(30s);
  auto first = breaker.try_acquire();
  auto second = breaker.try_acquire();
  EXPECT_TRUE(first.has_value());
  EXPECT_TRUE(second.has_value());
  EXPECT_FALSE(breaker.try_acquire().has_value());
}

TEST_F(CircuitBreakerTest, RejectionsDoNotCountAsFailures) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 5);
  for (int second = 0; second < 29; ++second) {
    for (int call = 0; call < 100; ++call) EXPECT_FALSE(breaker.try_acquire().has_value());
    clock_->advance(1s);
  }
  EXPECT_EQ(breaker.rejected_calls(), 2900u);
  clock_->advance(1s);  // 30 s after opening, however many calls it turned away meanwhile
  EXPECT_TRUE(breaker.try_acquire().has_value());
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, UnreportedPermitFreesItsProbeSlotAndCountsNeither) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 5);
  clock_->advance(30s);
  { auto abandoned = breaker.try_acquire(); }
  succeed_call(breaker);
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);  // one success so far, not two
  succeed_call(breaker);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, CallAdmittedBeforeOpeningDoesNotCountAsAProbe) {
  CircuitBreaker breaker(options());
  auto slow_call = breaker.try_acquire();  // admitted while closed
  fail_calls(breaker, 5);
  clock_->advance(30s);
  ASSERT_EQ(breaker.state(), CircuitState::kHalfOpen);
  slow_call->record(CallOutcome::kSuccess);
  auto probe = breaker.try_acquire();
  EXPECT_TRUE(probe.has_value());  // the late report took no probe slot back
  probe->record(CallOutcome::kSuccess);
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);  // and counted as no success
}

TEST_F(CircuitBreakerTest, OnlyTheFirstReportOfAPermitCounts) {
  CircuitBreaker breaker(options());
  fail_calls(breaker, 4);
  auto permit = breaker.try_acquire();
  permit->record(CallOutcome::kSuccess);
  permit->record(CallOutcome::kFailure);
  fail_calls(breaker, 4);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, RejectsZeroThresholds) {
  CircuitBreakerOptions bad = options();
  bad.half_open_max_calls = 0;
  EXPECT_THROW(CircuitBreaker{bad}, std::invalid_argument);
  bad = options();
  bad.failure_threshold = 0;
  EXPECT_THROW(CircuitBreaker{bad}, std::invalid_argument);
}

TEST_F(CircuitBreakerTest, OpenErrorIsRetryableAndNamesTheCircuit) {
  CircuitBreaker breaker(options());
  Status error = breaker.open_error();
  EXPECT_TRUE(error.retryable());
  EXPECT_NE(error.message().find("circuit 'redis-sink' is open"), std::string::npos);
}

ApplyResult failed_with(Status error) {
  ApplyResult result;
  result.add_synced(0);
  result.add_failed(1, std::move(error));
  return result;
}

TEST(HealthOutcomeOf, OnlyDestinationFailuresCountAgainstIt) {
  EXPECT_EQ(health_outcome_of(ApplyResult::all_synced(3)), CallOutcome::kSuccess);
  EXPECT_EQ(health_outcome_of(failed_with(bad_payload())), CallOutcome::kSuccess);
  EXPECT_EQ(health_outcome_of(ApplyResult::all_failed(3, bad_payload())), CallOutcome::kSuccess);
  EXPECT_EQ(health_outcome_of(failed_with(connection_refused())), CallOutcome::kFailure);
  EXPECT_EQ(health_outcome_of(failed_with(Status(StatusCode::kOutcomeUnknown, "commit lost"))),
            CallOutcome::kFailure);
  EXPECT_EQ(health_outcome_of(ApplyResult::fatal_error(Status(StatusCode::kInternal, "bug"))),
            CallOutcome::kFailure);
  EXPECT_EQ(health_outcome_of(ApplyResult::all_failed(2, Status(StatusCode::kCancelled, "stop"))),
            CallOutcome::kNeutral);
}

TEST_F(CircuitBreakerTest, ApplierRejectsBatchesWithoutCallingTheInnerApplierWhileOpen) {
  auto breaker = std::make_shared<CircuitBreaker>(options());
  auto inner = recording_applier([](int) { return connection_refused(); });
  CircuitBreakerApplier<int> guarded(inner, breaker);
  const std::vector<int> batch{1, 2, 3};
  for (int call = 0; call < 5; ++call) (void)guarded.apply(batch);
  ASSERT_EQ(breaker->state(), CircuitState::kOpen);

  ApplyResult rejected = guarded.apply(batch);

  EXPECT_EQ(inner->batches().size(), 5u);
  ASSERT_EQ(rejected.failed().size(), 3u);
  for (const RecordFailure& failure : rejected.failed()) {
    EXPECT_EQ(failure.error.code(), StatusCode::kUnavailable);
    EXPECT_NE(failure.error.message().find("is open"), std::string::npos);
  }
}

TEST_F(CircuitBreakerTest, ApplierIsNotOpenedByBadRecords) {
  auto breaker = std::make_shared<CircuitBreaker>(options());
  auto inner = recording_applier([](int record) { return record == 2 ? bad_payload() : Status(); });
  CircuitBreakerApplier<int> guarded(inner, breaker);
  for (int call = 0; call < 20; ++call) (void)guarded.apply(std::vector<int>{1, 2, 3});
  EXPECT_EQ(breaker->state(), CircuitState::kClosed);
  EXPECT_EQ(inner->batches().size(), 20u);
}

TEST_F(CircuitBreakerTest, ApplierRecoversThroughProbeBatches) {
  auto breaker = std::make_shared<CircuitBreaker>(options());
  bool destination_up = false;
  auto inner =
      recording_applier([&](int) { return destination_up ? Status::Ok() : connection_refused(); });
  CircuitBreakerApplier<int> guarded(inner, breaker);
  for (int call = 0; call < 5; ++call) (void)guarded.apply(std::vector<int>{1});
  destination_up = true;
  clock_->advance(30s);
  EXPECT_TRUE(guarded.apply(std::vector<int>{1}).all_ok());
  EXPECT_TRUE(guarded.apply(std::vector<int>{2}).all_ok());
  EXPECT_EQ(breaker->state(), CircuitState::kClosed);
}

}  // namespace
}  // namespace courier
