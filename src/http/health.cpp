#include "http/health.h"

#include <algorithm>
#include <exception>

namespace courier::http {

void HealthRegistry::add(const std::string& name, HealthCheck check) {
  std::lock_guard lock(mutex_);
  auto same_name = [&](const NamedCheck& existing) { return existing.name == name; };
  auto found = std::find_if(checks_.begin(), checks_.end(), same_name);
  if (found != checks_.end()) {
    found->check = std::move(check);
  } else {
    checks_.push_back({name, std::move(check)});
  }
}

nlohmann::json HealthRegistry::report() const {
  std::vector<NamedCheck> checks;
  {
    std::lock_guard lock(mutex_);
    checks = checks_;  // run without the lock: a slow check must not block add()
  }
  bool all_healthy = true;
  nlohmann::json details = nlohmann::json::object();
  for (const auto& [name, check] : checks) {
    HealthReport result;
    try {
      result = check();
    } catch (const std::exception& error) {
      result = {false, std::string("health check threw: ") + error.what()};
    }
    all_healthy = all_healthy && result.healthy;
    details[name] = {{"healthy", result.healthy}, {"detail", result.detail}};
  }
  return {{"healthy", all_healthy}, {"status", all_healthy ? "ok" : "unhealthy"},
          {"checks", details}};
}

}  // namespace courier::http
