// Health checks for the two stores every pipeline needs: can we reach Postgres, can we
// reach Redis (every master of a cluster), right now? Registered on /health by `run`;
// each also sets courier_dependency_up{dependency="..."} for dashboards and alerts.
//
//   auto postgres = std::make_shared<PostgresCheck>(postgres_options(config.postgres), gauge);
//   server.health().add("postgres", [postgres] { return postgres->probe(); });
//
// Thread-safety: probe() may be called from any thread; calls are serialised.
#pragma once

#include <memory>
#include <mutex>

#include <prometheus/gauge.h>

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

}  // namespace courier::app
