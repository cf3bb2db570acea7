#include "courier/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace courier {
namespace {

double validated_rate(const RateLimiterOptions& options) {
  if (!(options.rate_per_second > 0)) {
    throw std::invalid_argument("rate limiter: rate_per_second must be above 0");
  }
  return options.rate_per_second;
}

double validated_burst(const RateLimiterOptions& options) {
  if (!(options.burst >= 0))
    throw std::invalid_argument("rate limiter: burst must not be negative");
  if (options.burst > 0) return options.burst;
  return std::max(1.0, validated_rate(options));
}

ClockPtr validated_clock(ClockPtr clock) {
  if (!clock) throw std::invalid_argument("rate limiter: clock must not be null");
  return clock;
}

}  // namespace

RateLimiter::RateLimiter(RateLimiterOptions options)
    : rate_per_second_(validated_rate(options)),
      burst_(validated_burst(options)),
      clock_(validated_clock(std::move(options.clock))),
      tokens_(burst_),
      refilled_at_(clock_->now()) {}

bool RateLimiter::try_acquire(size_t tokens) {
  std::lock_guard lock(mutex_);
  refill();
  if (tokens_ < static_cast<double>(tokens)) return false;
  tokens_ -= static_cast<double>(tokens);
  return true;
}

bool RateLimiter::acquire(size_t tokens, std::stop_token stop) {
  TimePoint ready_at;
  {
    std::lock_guard lock(mutex_);
    refill();
    tokens_ -= static_cast<double>(tokens);
    if (tokens_ >= 0) return true;
    // Rounded up: waking a nanosecond late is harmless, waking early would overdraw.
    const double wait_ns = std::ceil(-tokens_ / rate_per_second_ * 1e9);
    ready_at = refilled_at_ + std::chrono::duration_cast<Duration>(
                                  std::chrono::duration<double, std::nano>(wait_ns));
  }
  if (clock_->wait_until(ready_at, std::move(stop))) return true;
  std::lock_guard lock(mutex_);
  refill();
  tokens_ = std::min(burst_, tokens_ + static_cast<double>(tokens));
  return false;
}

double RateLimiter::available_tokens() {
  std::lock_guard lock(mutex_);
  refill();
  return tokens_;
}

void RateLimiter::refill() {
  const TimePoint now = clock_->now();
  if (now <= refilled_at_) return;
  // In integer nanoseconds first, so whole steps (100ms at 10/s) give whole tokens.
  const double elapsed_ns = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - refilled_at_).count());
  tokens_ = std::min(burst_, tokens_ + elapsed_ns * rate_per_second_ / 1e9);
  refilled_at_ = now;
}

}  // namespace courier
