#include "courier/retry.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

namespace courier {

UniformRandom thread_local_random() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

Duration delay_for_attempt(const RetryPolicy& policy, unsigned failed_attempt, double unit_random) {
  using Nanoseconds = std::chrono::duration<double, std::nano>;
  const double max_delay = std::max(Nanoseconds(policy.max_delay).count(), 0.0);
  const double growth = std::pow(policy.multiplier, std::max(failed_attempt, 1u) - 1.0);
  double delay = Nanoseconds(policy.initial_delay).count() * growth;
  // Written so that an overflow to infinity or a NaN (multiplier 0 × ∞) lands on the cap.
  if (!(delay <= max_delay)) delay = max_delay;
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double spread = 2.0 * std::clamp(unit_random, 0.0, 1.0) - 1.0;  // in [-1, 1]
  delay = std::clamp(delay * (1.0 + jitter * spread), 0.0, max_delay);
  return std::chrono::duration_cast<Duration>(Nanoseconds(delay));
}

RetryStep backoff_before_retry(const RetryOptions& options, unsigned failed_attempt,
                               const Status& error, size_t records) {
  if (!options.policy.allows_attempt_after(failed_attempt)) return RetryStep::kExhausted;
  if (options.stop.stop_requested()) return RetryStep::kStopped;
  const double unit_random = options.random ? options.random() : 0.5;
  const Duration delay = delay_for_attempt(options.policy, failed_attempt, unit_random);
  if (options.on_retry) options.on_retry(failed_attempt, delay, error, records);
  if (!options.clock->wait_for(delay, options.stop)) return RetryStep::kStopped;
  return RetryStep::kRetry;
}

Status final_retry_error(RetryStep step, const Status& last_error, unsigned attempts_made) {
  const std::string tries =
      std::to_string(attempts_made) + (attempts_made == 1 ? " try" : " tries");
  if (step == RetryStep::kStopped) {
    return Status(
        StatusCode::kCancelled,
        "stopped while retrying, after " + tries + "; last error: " + last_error.to_string(),
        last_error.detail());
  }
  return Status(last_error.code(), "gave up after " + tries + ": " + last_error.message(),
                last_error.detail());
}

}  // namespace courier
