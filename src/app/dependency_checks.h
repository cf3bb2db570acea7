// Health checks for the two stores every pipeline needs: can we reach Postgres, can we
// reach Redis (every master of a cluster), right now? Registered on /health by `run`;
// each also sets courier_dependency_up{dependency="..."} for dashboards and alerts.
//
//   auto postgres = std::make_shared<PostgresCheck>(postgres_options(config.postgres), gauge);
//   server.health().add("postgres", [postgres] { return postgres->probe(); });
//
// `courier run` registers both through the DependencyChecks component.
//
// Thread-safety: probe() may be called from any thread; calls are serialised.
#pragma once

#include <prometheus/gauge.h>

#include <memory>
#include <mutex>

#include "component.h"
#include "http/health.h"
#include "pg/connection.h"
#include "redis/client.h"

namespace courier::app {

// The gauge family courier_dependency_up, registered once per registry.
prometheus::Family<prometheus::Gauge>& dependency_up_family(prometheus::Registry& registry);

class PostgresCheck {
 public:
  PostgresCheck(pg::ConnectionOptions options, prometheus::Gauge& up);
  // SELECT 1 on a kept connection, reconnecting when it was lost.
  http::HealthReport probe();

 private:
  pg::ConnectionOptions options_;
  prometheus::Gauge& up_;
  std::mutex mutex_;
  std::unique_ptr<pg::Connection> connection_;
};

class RedisCheck {
 public:
  RedisCheck(redis::ClientOptions options, prometheus::Gauge& up);
  // PING (every master on a cluster) on a kept client.
  http::HealthReport probe();

 private:
  redis::ClientOptions options_;
  prometheus::Gauge& up_;
  std::mutex mutex_;
  std::unique_ptr<redis::Client> client_;
};

// Both checks as a component: "postgres" and "redis" on /health, courier_dependency_up.
class DependencyChecks final : public Component {
 public:
  DependencyChecks(pg::ConnectionOptions postgres, redis::ClientOptions redis)
      : postgres_(std::move(postgres)), redis_(std::move(redis)) {}
  std::string name() const override { return "dependency checks"; }
  void attach(http::HttpServer& server) override;
  Status start() override { return Status::Ok(); }  // probes run when /health is asked
  void stop() override {}

 private:
  pg::ConnectionOptions postgres_;
  redis::ClientOptions redis_;
  std::shared_ptr<PostgresCheck> postgres_check_;
  std::shared_ptr<RedisCheck> redis_check_;
};

}  // namespace courier::app
