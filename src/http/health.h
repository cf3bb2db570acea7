// Health checks: modules register named checks; GET /health runs them all and answers
// 200 when every check is healthy, 503 otherwise, with each check's detail in JSON.
//
//   HealthRegistry health;
//   health.add("postgres", [&] { return HealthReport{pg_ok(), "select 1 took 2 ms"}; });
//   nlohmann::json body = health.report();   // {"healthy": true, "checks": {...}}
//
// Thread-safety: add() and report() may be called from any thread; checks run on the
// thread that calls report() and must therefore be thread-safe themselves.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace courier::http {

struct HealthReport {
  bool healthy = true;
  std::string detail;  // one line for operators: what is wrong, or what was checked
};

using HealthCheck = std::function<HealthReport()>;

class HealthRegistry {
 public:
  // Adds a check; a later check with the same name replaces the earlier one.
  void add(const std::string& name, HealthCheck check);
  // Runs every check. A check that throws counts as unhealthy, with the exception text.
  nlohmann::json report() const;
  // Adds top-level members to every report (a module's summary in a format its users
  // expect, e.g. stream ingest's `redis_consumer_healthy`); `fields` returns an object.
  // "healthy", "status" and "checks" are never replaced.
  void add_fields(std::function<nlohmann::json()> fields);

 private:
  struct NamedCheck {
    std::string name;
    HealthCheck check;
  };
  mutable std::mutex mutex_;
  std::vector<NamedCheck> checks_;
  std::vector<std::function<nlohmann::json()>> fields_;
};

}  // namespace courier::http
