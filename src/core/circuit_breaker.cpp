#include "courier/circuit_breaker.h"

#include <stdexcept>

namespace courier {

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options) : options_(std::move(options)) {
  auto require_positive = [](unsigned value, const char* field) {
    if (value == 0) {
      throw std::invalid_argument(std::string("circuit breaker: ") + field + " must be at least 1");
    }
  };
  require_positive(options_.failure_threshold, "failure_threshold");
  require_positive(options_.half_open_max_calls, "half_open_max_calls");
  require_positive(options_.success_threshold, "success_threshold");
  if (!options_.clock) throw std::invalid_argument("circuit breaker: clock must not be null");
}

std::optional<CircuitBreaker::Permit> CircuitBreaker::try_acquire() {
  std::lock_guard lock(mutex_);
  expire_open_timeout();
  const bool admitted =
      state_ == CircuitState::kClosed ||
      (state_ == CircuitState::kHalfOpen && probes_in_flight_ < options_.half_open_max_calls);
  if (!admitted) {
    ++rejected_calls_;  // counted apart: a rejection says nothing about the destination
    return std::nullopt;
  }
  if (state_ == CircuitState::kHalfOpen) ++probes_in_flight_;
  return Permit(this, generation_);
}

CircuitState CircuitBreaker::state() {
  std::lock_guard lock(mutex_);
  expire_open_timeout();
  return state_;
}

uint64_t CircuitBreaker::rejected_calls() const {
  std::lock_guard lock(mutex_);
  return rejected_calls_;
}

Status CircuitBreaker::open_error() const {
  const std::string circuit = options_.name.empty() ? "circuit" : "circuit '" + options_.name + "'";
  return Status(StatusCode::kUnavailable,
                circuit +
                    " is open after repeated failures of the destination; calls resume "
                    "when a probe succeeds (first probe " +
                    describe_duration(options_.open_timeout) + " after opening)");
}

void CircuitBreaker::settle(uint64_t generation, CallOutcome outcome) {
  std::lock_guard lock(mutex_);
  // Admitted under an earlier state: its outcome says nothing about the current one.
  if (generation != generation_) return;
  if (state_ == CircuitState::kHalfOpen) --probes_in_flight_;
  if (outcome == CallOutcome::kFailure) count_failure();
  if (outcome == CallOutcome::kSuccess) count_success();
}

void CircuitBreaker::expire_open_timeout() {
  if (state_ == CircuitState::kOpen &&
      options_.clock->now() - opened_at_ >= options_.open_timeout) {
    transition_to(CircuitState::kHalfOpen);
  }
}

void CircuitBreaker::count_failure() {
  if (state_ == CircuitState::kHalfOpen || ++consecutive_failures_ >= options_.failure_threshold) {
    transition_to(CircuitState::kOpen);
  }
}

void CircuitBreaker::count_success() {
  if (state_ == CircuitState::kClosed) {
    consecutive_failures_ = 0;
  } else if (++consecutive_successes_ >= options_.success_threshold) {
    transition_to(CircuitState::kClosed);
  }
}

void CircuitBreaker::transition_to(CircuitState next) {
  const CircuitState previous = state_;
  state_ = next;
  ++generation_;
  consecutive_failures_ = 0;
  consecutive_successes_ = 0;
  probes_in_flight_ = 0;
  if (next == CircuitState::kOpen) opened_at_ = options_.clock->now();
  if (options_.on_transition) options_.on_transition(previous, next);
}

CircuitBreaker::Permit& CircuitBreaker::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    record(CallOutcome::kNeutral);
    breaker_ = std::exchange(other.breaker_, nullptr);
    generation_ = other.generation_;
  }
  return *this;
}

void CircuitBreaker::Permit::record(CallOutcome outcome) {
  if (CircuitBreaker* breaker = std::exchange(breaker_, nullptr)) {
    breaker->settle(generation_, outcome);
  }
}

CallOutcome health_outcome_of(const ApplyResult& result) {
  if (result.is_fatal()) return CallOutcome::kFailure;
  bool destination_answered = !result.synced().empty();
  for (const RecordFailure& failure : result.failed()) {
    const StatusCode code = failure.error.code();
    if (failure.error.retryable() || code == StatusCode::kOutcomeUnknown) {
      return CallOutcome::kFailure;
    }
    if (code != StatusCode::kCancelled) destination_answered = true;
  }
  return destination_answered ? CallOutcome::kSuccess : CallOutcome::kNeutral;
}

}  // namespace courier
