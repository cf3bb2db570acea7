// StreamIngest: Redis Streams → Postgres as `courier run` starts it. Applies the schema
// (the built-in rindexer migration, or the `migrations` directory), then runs one
// IngestWorker per configured worker (a streaming coordinator of the core library), each
// its own consumer, plus a monitor that keeps
// the pending/lag gauges and the rate metrics current. Registers /health fields and
// /metrics on the HTTP server it is given (before that server starts).
//
//   StreamIngest ingest({.streams = streams, .postgres = pg, .redis = redis});
//   ingest.attach(server);                   // optional
//   if (Status s = ingest.start(); !s.ok()) fail(s);
//   ingest.stop();                           // finishes batches in hand, acks, joins
//
// Thread-safety: start() and stop() from one thread; stats are readable from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "component.h"
#include "courier/status.h"
#include "http/server.h"
#include "pg/connection.h"
#include "pg/connection_options.h"
#include "pg/migrations.h"
#include "redis/options.h"
#include "redis_to_pg/ingest_metrics.h"
#include "redis_to_pg/ingest_worker.h"
#include "redis_to_pg/stream_config.h"
#include "supervised_thread.h"

namespace courier::redis_to_pg {

// The schema stream ingest needs: the built-in rindexer migration (scope "rindexer") when
// the mapping is the built-in one, else the `migrations` directory (scope
// "stream_ingest"); no migrations when neither applies.
struct IngestSchema {
  std::vector<pg::Migration> migrations;
  std::string scope;
};
Result<IngestSchema> ingest_schema(const StreamsConfig& config);

// Applies ingest_schema(config) on `connection`; returns the versions applied now.
Result<std::vector<int64_t>> apply_ingest_schema(pg::Connection& connection,
                                                 const StreamsConfig& config);

struct StreamIngestOptions {
  StreamsConfig streams;
  pg::ConnectionOptions postgres;
  redis::ClientOptions redis;
  ClockPtr clock = system_clock();
};

class StreamIngest final : public Component {
 public:
  explicit StreamIngest(StreamIngestOptions options);
  ~StreamIngest() override;  // stops
  StreamIngest(const StreamIngest&) = delete;
  StreamIngest& operator=(const StreamIngest&) = delete;

  std::string name() const override { return "stream ingest"; }
  // Metrics into the server's registry; the reference's fields and a "stream_ingest"
  // check on its /health. Optional (without it, metrics go to a registry of its own).
  void attach(http::HttpServer& server) override;

  // Applies the migrations and checks every mapping against its table (an error stops
  // start-up, naming the mapping), then starts the workers.
  Status start() override;
  // Stops reading; batches in hand are written and acked; joins every thread. Idempotent.
  void stop() override;

  const IngestMetrics& metrics() const { return *metrics_; }
  CircuitState breaker_state() const { return shared_.breaker->state(); }

 private:
  Status apply_migrations();
  void monitor();
  // The monitor thread's health, and whether a worker's source or applier threw lately.
  http::HealthReport threads_health() const;

  IngestShared shared_;
  std::shared_ptr<prometheus::Registry> own_registry_;  // when no server is given
  std::unique_ptr<IngestMetrics> metrics_;
  std::vector<std::unique_ptr<IngestWorker>> workers_;
  std::unique_ptr<SupervisedThread> monitor_;
  mutable std::mutex fault_mutex_;
  std::optional<std::pair<TimePoint, std::string>> last_fault_;  // when, and what
  bool started_ = false;
};

}  // namespace courier::redis_to_pg
