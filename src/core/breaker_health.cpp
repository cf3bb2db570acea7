#include "breaker_health.h"

#include <string>

namespace courier {

http::HealthCheck breaker_health_check(std::shared_ptr<CircuitBreaker> breaker) {
  return [breaker = std::move(breaker)] {
    // state() also moves an expired open circuit to half-open, so health is never stale.
    CircuitState state = breaker->state();
    std::string detail = "circuit " + breaker->name() + " " +
                         std::string(circuit_state_name(state)) + ", " +
                         std::to_string(breaker->rejected_calls()) + " calls rejected so far";
    return http::HealthReport{state == CircuitState::kClosed, detail};
  };
}

}  // namespace courier
