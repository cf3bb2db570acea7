// The running process: starts what the configuration asks for — the HTTP server with
// /health and /metrics, dependency checks, the table-sync tasks (and, as later modules
// land, every other pipeline) — and stops it all in reverse order.
//
//   Supervisor supervisor(loaded.config, loaded.pipelines);
//   if (Status s = supervisor.start(); !s.ok()) return fail(s);
//   shutdown.wait(); if (!supervisor.stop_within(kShutdownDeadline)) std::_Exit(1);
//
// Thread-safety: start() and stop() from one thread (main); stop() is idempotent.
#pragma once

#include <chrono>
#include <memory>

#include "aggregator/api_config.h"
#include "config/courier_config.h"
#include "courier/status.h"
#include "http/server.h"
#include "pg_to_redis/table_sync.h"
#include "pg_to_redis/task_config.h"
#include "redis_to_pg/stream_config.h"
#include "redis_to_pg/stream_ingest.h"

namespace courier::aggregator {
class QueryApi;
}

namespace courier::app {

class PostgresCheck;
class RedisCheck;

// The pipelines' own sections, read and checked once, when the file was loaded.
struct PipelineConfigs {
  std::vector<pg_to_redis::TaskConfig> tasks;         // `tasks:`: table sync
  std::optional<redis_to_pg::StreamsConfig> streams;  // `streams:` present: stream ingest
  std::optional<aggregator::ApiConfig> api;           // `api:` present: the query API
};

class Supervisor {
 public:
  Supervisor(config::CourierConfig config, PipelineConfigs pipelines);
  ~Supervisor();

  Status start();
  void stop();
  // stop(), waiting at most `deadline`: false when a pipeline is still blocked then (a
  // dependency that hangs without closing its connections). stop() then goes on in the
  // background; the caller is expected to end the process.
  bool stop_within(std::chrono::milliseconds deadline);
  // The HTTP port actually bound (differs from the config when it asked for port 0).
  int http_port() const { return http_ ? http_->port() : 0; }

 private:
  void register_build_info();
  void register_dependency_checks();

  config::CourierConfig config_;
  PipelineConfigs pipelines_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<pg_to_redis::TableSync> table_sync_;
  std::unique_ptr<aggregator::QueryApi> api_;  // the query API, when configured
  std::shared_ptr<PostgresCheck> postgres_check_;
  std::shared_ptr<RedisCheck> redis_check_;
  std::unique_ptr<redis_to_pg::StreamIngest> stream_ingest_;  // when `streams:` is present
};

}  // namespace courier::app
