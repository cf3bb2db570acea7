#include "redis_to_pg/stream_ingest.h"

#include <spdlog/spdlog.h>

#include "pg/connection.h"
#include "pg/migrations.h"

namespace courier::redis_to_pg {
namespace {

constexpr std::chrono::seconds kMonitorInterval{1};
// How long /health reports a worker whose source or applier threw.
constexpr std::chrono::minutes kFaultShownFor{1};

// XINFO GROUPS reply: one flat [name, value, …] list per group.
std::optional<int64_t> group_field(const redis::Reply& groups, const std::string& group,
                                   std::string_view field) {
  for (const redis::Reply& entry : groups.elements()) {
    bool this_group = false;
    for (size_t i = 0; i + 1 < entry.size(); i += 2)
      if (entry[i].str() == "name" && entry[i + 1].str() == group) this_group = true;
    if (!this_group) continue;
    for (size_t i = 0; i + 1 < entry.size(); i += 2)
      if (entry[i].str() == field && entry[i + 1].is_integer()) return entry[i + 1].integer();
  }
  return std::nullopt;
}

}  // namespace

Result<IngestSchema> ingest_schema(const StreamsConfig& config) {
  if (config.builtin_rindexer_schema)
    return IngestSchema{{{1, "rindexer_events", std::string(rindexer_migration_sql())}},
                        "rindexer"};
  if (config.migrations.empty()) return IngestSchema{{}, "stream_ingest"};
  auto loaded = pg::load_migrations_from_directory(config.migrations);
  if (!loaded.ok()) return loaded.status();
  return IngestSchema{std::move(*loaded), "stream_ingest"};
}

Result<std::vector<int64_t>> apply_ingest_schema(pg::Connection& connection,
                                                 const StreamsConfig& config) {
  auto schema = ingest_schema(config);
  if (!schema.ok()) return schema.status();
  if (schema->migrations.empty()) return std::vector<int64_t>{};
  auto report = pg::apply_migrations(connection, schema->migrations, {.scope = schema->scope});
  if (!report.ok()) return report.status();
  return report->applied;
}

StreamIngest::StreamIngest(StreamIngestOptions options) {
  shared_.config = std::move(options.streams);
  shared_.postgres = std::move(options.postgres);
  // Set at connect on every session (reconnects too): pg's one statement_timeout mechanism.
  shared_.postgres.statement_timeout = shared_.config.processing_timeout;
  shared_.redis = std::move(options.redis);
  shared_.clock = options.clock;
  shared_.decoder = std::make_unique<EntryDecoder>(shared_.config);
  shared_.breaker = std::make_shared<CircuitBreaker>(CircuitBreakerOptions{
      .name = "stream-ingest-postgres",
      .failure_threshold = static_cast<unsigned>(shared_.config.breaker_threshold),
      .open_timeout = shared_.config.breaker_timeout,
      .half_open_max_calls = 1,
      .success_threshold = 1,
      .clock = shared_.clock,
      .on_transition =
          [](CircuitState from, CircuitState to) {
            spdlog::warn("stream ingest: circuit breaker {} -> {}", circuit_state_name(from),
                         circuit_state_name(to));
          },
  });
}

StreamIngest::~StreamIngest() {
  stop();
}

void StreamIngest::attach(http::HttpServer& server) {
  metrics_ = std::make_unique<IngestMetrics>(server.metrics());
  shared_.metrics = metrics_.get();
  server.health().add("stream_ingest", [this] {
    bool healthy = metrics_->redis_healthy() && metrics_->postgres_healthy() &&
                   shared_.breaker->state() == CircuitState::kClosed;
    return http::HealthReport{
        healthy, "redis " + std::string(metrics_->redis_healthy() ? "ok" : "failing") +
                     ", postgres " + (metrics_->postgres_healthy() ? "ok" : "failing") +
                     ", breaker " + std::string(circuit_state_name(shared_.breaker->state()))};
  });
  server.health().add("stream_ingest_threads", [this] { return threads_health(); });
  server.health().add_fields([this] { return metrics_->health_fields(shared_.breaker->state()); });
}

Status StreamIngest::apply_migrations() {
  auto connection = pg::Connection::open(shared_.postgres);
  if (!connection.ok()) return connection.status();
  auto applied = apply_ingest_schema(**connection, shared_.config);
  if (!applied.ok()) return applied.status();
  if (!applied->empty()) spdlog::info("stream ingest: applied {} migration(s)", applied->size());
  return check_mappings(**connection, shared_.config.mappings);
}

Status StreamIngest::start() {
  if (started_) return Status::Ok();
  if (!metrics_) {
    own_registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<IngestMetrics>(*own_registry_);
    shared_.metrics = metrics_.get();
  }
  if (Status migrated = apply_migrations(); !migrated.ok())
    return Status(migrated.code(), "stream ingest schema: " + migrated.message(),
                  migrated.detail());
  started_ = true;
  for (int i = 0; i < shared_.config.workers; ++i) {
    CoordinatorHooks hooks;
    // A source or applier that threw: the coordinator goes on; /health says so for a while.
    hooks.on_error = [this, i](Stage stage, const Status& error) {
      if (error.code() != StatusCode::kInternal) return;
      spdlog::error("stream ingest worker {}: {} failed: {}", i, stage_name(stage),
                    error.to_string());
      std::lock_guard lock(fault_mutex_);
      last_fault_ = {shared_.clock->now(), "worker " + std::to_string(i) + " " + error.message()};
    };
    workers_.push_back(std::make_unique<IngestWorker>(shared_, i, std::move(hooks)));
    if (Status started = workers_.back()->start(); !started.ok()) return started;
  }
  monitor_ = std::make_unique<SupervisedThread>(
      SupervisedThreadOptions{
          .name = "stream ingest monitor", .stop = shared_.stop, .clock = shared_.clock},
      [this] { monitor(); });
  monitor_->start();
  spdlog::info("stream ingest: {}", shared_.config.describe());
  return Status::Ok();
}

http::HealthReport StreamIngest::threads_health() const {
  if (monitor_) {
    if (http::HealthReport monitor = monitor_->health(); !monitor.healthy) return monitor;
  }
  std::lock_guard lock(fault_mutex_);
  if (last_fault_ && shared_.clock->now() - last_fault_->first < kFaultShownFor)
    return {false, last_fault_->second};
  return {true, "all running"};
}

void StreamIngest::stop() {
  if (!started_) return;
  shared_.stop.request_stop();
  for (auto& worker : workers_) worker->stop();
  if (monitor_) monitor_->join();
  workers_.clear();
  started_ = false;
  spdlog::info("stream ingest: stopped");
}

void StreamIngest::monitor() {
  std::unique_ptr<redis::Client> client;
  while (shared_.clock->wait_for(kMonitorInterval, shared_.stop.token())) {
    metrics_->tick();
    if (!client) {
      auto made = redis::make_client(shared_.redis);
      if (!made.ok()) continue;
      client = std::move(*made);
    }
    for (const std::string& stream : shared_.config.streams) {
      auto groups = client->command({"XINFO", "GROUPS", stream});
      if (!groups.ok()) continue;
      if (auto pending = group_field(*groups, shared_.config.group, "pending"))
        metrics_->set_pending(stream, *pending);
      if (auto lag = group_field(*groups, shared_.config.group, "lag"))
        metrics_->set_lag(stream, *lag);
    }
  }
}

}  // namespace courier::redis_to_pg
