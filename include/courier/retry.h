// Retrying what failed for a reason that may pass (Status::retryable(): connection lost,
// server busy, serialization failure), with capped exponential backoff and jitter.
// Permanent errors are never retried: a bad record stays bad however often it is sent.
//
//   courier::RetryOptions retry{.policy = {.max_attempts = 3}, .stop = stop.token()};
//   auto publish = std::make_shared<courier::RetryingApplier<Event>>(send_events, retry);
//   courier::Status connected = courier::retry_call(retry, [&] { return conn.connect(); });
//
// Thread-safety: delay_for_attempt() is pure. RetryingApplier::apply() and retry_call()
// may run on several threads at once when the inner applier / operation allows it and
// options.random is thread-safe (the default thread_local_random() is). on_retry is called
// on the thread that is retrying.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <numeric>
#include <span>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/clock.h"
#include "courier/status.h"

namespace courier {

struct RetryPolicy {
  unsigned max_attempts = 5;  // tries in all, the first included; 0 = unlimited
  Duration initial_delay = std::chrono::milliseconds(100);  // the wait before the first retry
  Duration max_delay = std::chrono::seconds(30);            // cap of every wait, jitter included
  double multiplier = 2.0;  // each wait is this many times the one before
  double jitter = 0.1;      // each wait varies by up to ± this fraction of itself (0 = none)

  // True when the policy allows another try after `attempts_made` tries.
  bool allows_attempt_after(unsigned attempts_made) const {
    return max_attempts == 0 || attempts_made < max_attempts;
  }
};

// Returns numbers uniformly distributed in [0, 1); injected so tests fix the jitter.
using UniformRandom = std::function<double()>;

// A generator with one engine per thread, seeded from std::random_device.
UniformRandom thread_local_random();

// The wait after failed try number `failed_attempt` (1 = the first try):
// initial_delay × multiplier^(failed_attempt − 1), capped at max_delay, then scaled by
// 1 + jitter × (2 × unit_random − 1) and kept within [0, max_delay]. unit_random = 0.5
// means no jitter.
Duration delay_for_attempt(const RetryPolicy& policy, unsigned failed_attempt, double unit_random);

// Told before each wait: which try failed (1 = the first), how long the wait is, one of
// the errors, and how many records will be tried again (1 for retry_call).
using RetryHook = std::function<void(unsigned failed_attempt, Duration delay, const Status& error,
                                     size_t records)>;

struct RetryOptions {
  RetryPolicy policy;
  ClockPtr clock = system_clock();  // waits happen here
  std::stop_token stop;             // fires → stop waiting, give up at once
  UniformRandom random = thread_local_random();
  RetryHook on_retry;  // optional
};

// One step of a retry loop, after a retryable failure: the policy may allow another try
// (then on_retry is told and the backoff waited), be exhausted, or the stop fire during
// the wait. Shared by RetryingApplier and retry_call; usable for loops of your own.
enum class RetryStep { kRetry, kExhausted, kStopped };
RetryStep backoff_before_retry(const RetryOptions& options, unsigned failed_attempt,
                               const Status& error, size_t records);

// The error to report for something that is not tried again: `last_error`, with the number
// of tries in its message when exhausted (code kept), or kCancelled when stopped.
Status final_retry_error(RetryStep step, const Status& last_error, unsigned attempts_made);

namespace retry_detail {
inline Status status_of(const Status& status) {
  return status;
}
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}
}  // namespace retry_detail

// Calls `operation` (returning Status or Result<T>) until it succeeds, fails permanently,
// the policy is exhausted, or the stop fires; returns the last outcome or the final error.
template <typename Operation>
std::invoke_result_t<Operation&> retry_call(const RetryOptions& options, Operation&& operation) {
  for (unsigned attempt = 1;; ++attempt) {
    auto outcome = operation();
    const Status error = retry_detail::status_of(outcome);
    if (!error.retryable()) return outcome;  // ok, or retrying cannot help
    const RetryStep step = backoff_before_retry(options, attempt, error, 1);
    if (step != RetryStep::kRetry) return final_retry_error(step, error, attempt);
  }
}

// Applies each batch, then retries only the records that failed with a retryable error,
// as a smaller batch, until they sync or the policy is exhausted; their outcomes are
// reported at their positions in the original batch. Records failing with an error that
// is not retryable (permanent, kOutcomeUnknown, kCancelled) are reported at once, as is. A fatal
// result ends the batch at once (records synced by earlier tries are then not reported: the batch
// stays unmarked and is fetched again). When the stop fires during a backoff, the remaining records
// fail with kCancelled.
template <typename Record>
class RetryingApplier final : public Applier<Record> {
 public:
  explicit RetryingApplier(ApplierPtr<Record> inner, RetryOptions options = {})
      : inner_(require_inner_applier(std::move(inner), "RetryingApplier")),
        options_(std::move(options)) {}

  ApplyResult apply(std::span<const Record> batch) override {
    ApplyResult outcome;
    std::vector<size_t> pending(batch.size());
    std::iota(pending.begin(), pending.end(), size_t{0});
    for (unsigned attempt = 1;; ++attempt) {
      ApplyResult tried = apply_subset(*inner_, batch, std::span<const size_t>(pending));
      if (tried.is_fatal()) return tried;
      std::vector<RecordFailure> retryable = settle_all_but_retryable(tried, outcome);
      if (retryable.empty()) return outcome;
      const RetryStep step =
          backoff_before_retry(options_, attempt, retryable.front().error, retryable.size());
      if (step != RetryStep::kRetry) {
        for (const RecordFailure& failure : retryable) {
          outcome.add_failed(failure.index, final_retry_error(step, failure.error, attempt));
        }
        return outcome;
      }
      pending.clear();
      for (const RecordFailure& failure : retryable) pending.push_back(failure.index);
    }
  }

 private:
  // Moves the final outcomes of `tried` into `outcome`; returns the failures to retry.
  static std::vector<RecordFailure> settle_all_but_retryable(const ApplyResult& tried,
                                                             ApplyResult& outcome) {
    for (size_t index : tried.synced()) outcome.add_synced(index);
    for (size_t index : tried.dead_lettered()) outcome.add_dead_lettered(index);
    std::vector<RecordFailure> retryable;
    for (const RecordFailure& failure : tried.failed()) {
      if (failure.error.retryable()) {
        retryable.push_back(failure);
      } else {
        outcome.add_failed(failure.index, failure.error);
      }
    }
    return retryable;
  }

  ApplierPtr<Record> inner_;
  RetryOptions options_;
};

}  // namespace courier
