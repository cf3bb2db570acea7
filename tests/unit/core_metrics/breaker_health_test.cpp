#include "breaker_health.h"

#include <gtest/gtest.h>

#include <chrono>

namespace courier {
namespace {

using namespace std::chrono_literals;

TEST(BreakerHealthCheck, HealthyWhileClosedUnhealthyWhileOpenHealthyAgainWhenClosed) {
  auto clock = std::make_shared<ManualClock>();
  auto breaker = std::make_shared<CircuitBreaker>(CircuitBreakerOptions{
      .name = "postgres_writes", .failure_threshold = 1, .open_timeout = 30s,
      .success_threshold = 1, .clock = clock});
  http::HealthCheck check = breaker_health_check(breaker);
  EXPECT_TRUE(check().healthy);

  breaker->try_acquire()->record(CallOutcome::kFailure);
  http::HealthReport open = check();
  EXPECT_FALSE(open.healthy);
  EXPECT_NE(open.detail.find("postgres_writes"), std::string::npos) << open.detail;
  EXPECT_NE(open.detail.find("open"), std::string::npos) << open.detail;

  EXPECT_FALSE(breaker->try_acquire().has_value());  // rejected while open
  EXPECT_NE(check().detail.find("1 calls rejected"), std::string::npos) << check().detail;

  clock->advance(30s);
  EXPECT_FALSE(check().healthy) << "half-open is still probing";
  breaker->try_acquire()->record(CallOutcome::kSuccess);
  EXPECT_TRUE(check().healthy);
}

}  // namespace
}  // namespace courier
