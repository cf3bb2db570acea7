#include "http/health.h"

#include <spdlog/spdlog.h>

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

void HealthRegistry::add_fields(std::function<nlohmann::json()> fields) {
  std::lock_guard lock(mutex_);
  fields_.push_back(std::move(fields));
}

nlohmann::json HealthRegistry::report() const {
  std::vector<NamedCheck> checks;
  std::vector<std::function<nlohmann::json()>> extra_fields;
  {
    std::lock_guard lock(mutex_);
    checks = checks_;  // run without the lock: a slow check must not block add()
    extra_fields = fields_;
  }
  bool all_healthy = true;
  nlohmann::json details = nlohmann::json::object();
  for (const auto& [name, check] : checks) {
    HealthReport result;
    try {
      result = check();
    } catch (const std::exception& error) {
      // The exception's text is for operators (it may name hosts or users): logged only.
      spdlog::warn("health: check '{}' threw: {}", name, error.what());
      result = {false, "health check failed (details in the log)"};
    }
    all_healthy = all_healthy && result.healthy;
    details[name] = {{"healthy", result.healthy}, {"detail", result.detail}};
  }
  nlohmann::json body = nlohmann::json::object();
  for (const auto& fields : extra_fields) {
    nlohmann::json extra = fields();
    if (extra.is_object()) body.update(extra);
  }
  body["healthy"] = all_healthy;
  body["status"] = all_healthy ? "ok" : "unhealthy";
  body["checks"] = details;
  return body;
}

}  // namespace courier::http
