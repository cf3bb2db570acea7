// A circuit breaker: after repeated failures of a destination, stop calling it for a while,
// then let a few probe calls through to see whether it has recovered.
//
//   closed ──N consecutive failures──▶ open ──open_timeout──▶ half-open (≤ K probes at once)
//   half-open ──M consecutive successes──▶ closed;  half-open ──any failure──▶ open
//
// The breaker's own rejections never count as failures, so an open circuit always reaches
// half-open once open_timeout has passed, however many calls it turned away meanwhile.
//
//   auto breaker = std::make_shared<courier::CircuitBreaker>(courier::CircuitBreakerOptions{});
//   auto guarded = std::make_shared<courier::CircuitBreakerApplier<Event>>(inner, breaker);
//   if (auto permit = breaker->try_acquire()) permit->record(ping().ok() ? kSuccess : kFailure);
//
// Thread-safety: CircuitBreaker is safe to share between threads. A Permit belongs to
// the one call it admitted and must not outlive its breaker. CircuitBreakerApplier::apply()
// may run on several threads at once when the inner applier allows it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "courier/applier.h"
#include "courier/clock.h"
#include "courier/status.h"

namespace courier {

enum class CircuitState { kClosed, kOpen, kHalfOpen };

// "closed", "open", "half_open": for logs, health and metrics labels.
constexpr std::string_view circuit_state_name(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

// What a call told about the destination's health.
enum class CallOutcome {
  kSuccess,  // the destination answered
  kFailure,  // the destination failed (unreachable, timed out, ...)
  kNeutral,  // nothing learned (e.g. cancelled by a shutdown): counted neither way
};

struct CircuitBreakerOptions {
  std::string name;                                  // in messages: "circuit 'redis-sink' is open"
  unsigned failure_threshold = 5;                    // consecutive failures that open the circuit
  Duration open_timeout = std::chrono::seconds(30);  // open this long, then half-open
  unsigned half_open_max_calls = 1;  // probe calls let through at once when half-open
  unsigned success_threshold = 2;    // consecutive probe successes that close it
  ClockPtr clock = system_clock();
  // Told of every state change (metrics, health). It runs under the breaker's lock, so
  // hooks see changes in order; it must not call back into the breaker.
  std::function<void(CircuitState from, CircuitState to)> on_transition;
};

class CircuitBreaker {
 public:
  class Permit;

  // Throws std::invalid_argument when a threshold or the probe limit is 0.
  explicit CircuitBreaker(CircuitBreakerOptions options = {});
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // A permit for one call, or nullopt when the circuit turns the call away (open, or
  // half-open with all probe slots taken).
  [[nodiscard]] std::optional<Permit> try_acquire();

  // The current state; an open circuit whose timeout has passed becomes half-open here.
  CircuitState state();
  // Calls turned away since construction.
  uint64_t rejected_calls() const;
  const std::string& name() const { return options_.name; }

  // kUnavailable (retryable): what a call turned away reports.
  Status open_error() const;

 private:
  void settle(uint64_t generation, CallOutcome outcome);
  void expire_open_timeout();             // needs mutex_
  void transition_to(CircuitState next);  // needs mutex_
  void count_failure();                   // needs mutex_
  void count_success();                   // needs mutex_

  CircuitBreakerOptions options_;
  mutable std::mutex mutex_;
  CircuitState state_ = CircuitState::kClosed;
  // Bumped by every transition. A permit reports into the generation that admitted it,
  // so a call admitted while closed cannot count as a probe of a later half-open state.
  uint64_t generation_ = 0;
  unsigned consecutive_failures_ = 0;   // while closed
  unsigned consecutive_successes_ = 0;  // while half-open
  unsigned probes_in_flight_ = 0;       // while half-open
  TimePoint opened_at_{};
  uint64_t rejected_calls_ = 0;
};

// Admission of one call. Report its outcome once with record(); later reports are ignored.
// A permit destroyed unreported counts as kNeutral, so a probe slot is never leaked.
class [[nodiscard]] CircuitBreaker::Permit {
 public:
  Permit(Permit&& other) noexcept
      : breaker_(std::exchange(other.breaker_, nullptr)), generation_(other.generation_) {}
  Permit& operator=(Permit&& other) noexcept;
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit() { record(CallOutcome::kNeutral); }

  void record(CallOutcome outcome);

 private:
  friend class CircuitBreaker;
  Permit(CircuitBreaker* breaker, uint64_t generation)
      : breaker_(breaker), generation_(generation) {}

  CircuitBreaker* breaker_;  // null once reported or moved from
  uint64_t generation_;
};

// How a batch's result reflects on the destination: a fatal error, or any record failing
// with a retryable error or kOutcomeUnknown, is a failure; records failing permanently
// (bad records) say nothing against the destination, which did answer. A batch in which
// nothing synced and nothing failed except by cancellation is neutral.
CallOutcome health_outcome_of(const ApplyResult& result);

// Guards an applier with a breaker: while the circuit is open, each batch fails at once
// with the breaker's open_error() (kUnavailable, retryable) without reaching the inner
// applier; otherwise the batch's health_outcome_of() is recorded. Several appliers may
// share one breaker (one destination behind several pipelines).
template <typename Record>
class CircuitBreakerApplier final : public Applier<Record> {
 public:
  CircuitBreakerApplier(ApplierPtr<Record> inner, std::shared_ptr<CircuitBreaker> breaker)
      : inner_(require_inner_applier(std::move(inner), "CircuitBreakerApplier")),
        breaker_(std::move(breaker)) {
    if (!breaker_) throw std::invalid_argument("CircuitBreakerApplier needs a breaker");
  }

  ApplyResult apply(std::span<const Record> batch) override {
    std::optional<CircuitBreaker::Permit> permit = breaker_->try_acquire();
    if (!permit) return ApplyResult::all_failed(batch.size(), breaker_->open_error());
    ApplyResult result = inner_->apply(batch);
    permit->record(health_outcome_of(result));
    return result;
  }

  const std::shared_ptr<CircuitBreaker>& breaker() const { return breaker_; }

 private:
  ApplierPtr<Record> inner_;
  std::shared_ptr<CircuitBreaker> breaker_;
};

}  // namespace courier
