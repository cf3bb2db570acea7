// A circuit breaker as a /health check: healthy while closed; unhealthy while open or
// half-open, with what it is protecting and how many calls it turned away.
//
//   auto breaker = std::make_shared<CircuitBreaker>(breaker_options);
//   server.health().add("postgres_writes", breaker_health_check(breaker));
//
// Thread-safety: the check may run on any thread (CircuitBreaker is thread-safe).
#pragma once

#include <memory>

#include "courier/circuit_breaker.h"
#include "http/health.h"

namespace courier {

http::HealthCheck breaker_health_check(std::shared_ptr<CircuitBreaker> breaker);

}  // namespace courier
