// A token bucket: at most `burst` operations at once, `rate_per_second` on average, so a
// pipeline does not flood a destination that cannot take its full speed.
//
//   auto limiter = std::make_shared<courier::RateLimiter>(courier::RateLimiterOptions{
//       .rate_per_second = 500, .burst = 100});
//   if (limiter->acquire(batch.size(), stop.token())) send(batch);  // false: stopped
//
// Tokens refill continuously; the bucket starts full. acquire() reserves its tokens at
// once, even more than `burst` (going into debt), and then waits until the bucket would
// have refilled them, so big requests are neither refused nor starved by small ones and
// waiters are served in the order they arrived.
//
// Thread-safety: RateLimiter is safe to share between threads (one limit for several
// pipelines). RateLimitedApplier::apply() may run on several threads at once when the
// inner applier allows it.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <utility>

#include "courier/applier.h"
#include "courier/clock.h"
#include "courier/status.h"

namespace courier {

struct RateLimiterOptions {
  double rate_per_second = 0;  // tokens added per second; must be > 0
  double burst = 0;            // bucket size; 0 = one second's worth (at least 1)
  ClockPtr clock = system_clock();
};

class RateLimiter {
 public:
  // Throws std::invalid_argument when rate_per_second is not above 0 or burst is below 0.
  explicit RateLimiter(RateLimiterOptions options);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes `tokens` now if the bucket holds them; never waits.
  [[nodiscard]] bool try_acquire(size_t tokens = 1);

  // Takes `tokens`, waiting on the clock as long as the rate requires. Returns false
  // (and gives the reservation back) when `stop` fires first.
  [[nodiscard]] bool acquire(size_t tokens, std::stop_token stop = {});

  // Tokens in the bucket now; negative while reservations wait for a refill.
  double available_tokens();

 private:
  void refill();  // needs mutex_

  const double rate_per_second_;
  const double burst_;
  const ClockPtr clock_;
  std::mutex mutex_;
  double tokens_;
  TimePoint refilled_at_;
};

// Acquires one token per record before passing a batch on. When the stop fires during
// the wait, the batch fails with kCancelled without reaching the inner applier.
template <typename Record>
class RateLimitedApplier final : public Applier<Record> {
 public:
  RateLimitedApplier(ApplierPtr<Record> inner, std::shared_ptr<RateLimiter> limiter,
                     std::stop_token stop = {})
      : inner_(require_inner_applier(std::move(inner), "RateLimitedApplier")),
        limiter_(std::move(limiter)),
        stop_(std::move(stop)) {
    if (!limiter_) throw std::invalid_argument("RateLimitedApplier needs a rate limiter");
  }

  ApplyResult apply(std::span<const Record> batch) override {
    if (!limiter_->acquire(batch.size(), stop_)) {
      return ApplyResult::all_failed(
          batch.size(), Status(StatusCode::kCancelled, "stopped while waiting for the rate limit"));
    }
    return inner_->apply(batch);
  }

 private:
  ApplierPtr<Record> inner_;
  std::shared_ptr<RateLimiter> limiter_;
  std::stop_token stop_;
};

}  // namespace courier
