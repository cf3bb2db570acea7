#include "app/supervisor.h"

#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include <future>
#include <thread>

#include "aggregator/query_api.h"
#include "app/connection_settings.h"
#include "app/dependency_checks.h"
#include "app/version.h"

namespace courier::app {

Supervisor::Supervisor(config::CourierConfig config, PipelineConfigs pipelines)
    : config_(std::move(config)), pipelines_(std::move(pipelines)) {}

Supervisor::~Supervisor() {
  stop();
}

Status Supervisor::start() {
  http_ = std::make_unique<http::HttpServer>(http_server_options(config_.http));
  register_build_info();
  register_dependency_checks();
  // Pipelines register their metrics and health checks before the server answers.
  if (!pipelines_.tasks.empty()) {
    table_sync_ = std::make_unique<pg_to_redis::TableSync>(
        pipelines_.tasks,
        pg_to_redis::TableSyncOptions{.postgres = postgres_options(config_.postgres),
                                      .redis = redis_options(config_.redis),
                                      .cluster = config_.redis.cluster()});
    if (Status started = table_sync_->start(http_->metrics(), http_->health()); !started.ok()) {
      return started;
    }
  }
  if (pipelines_.streams) {
    stream_ingest_ = std::make_unique<redis_to_pg::StreamIngest>(redis_to_pg::StreamIngestOptions{
        *pipelines_.streams, postgres_options(config_.postgres), redis_options(config_.redis)});
    stream_ingest_->register_http(*http_);  // before the server starts
    if (Status started = stream_ingest_->start(); !started.ok()) return started;
  }
  if (pipelines_.api) {
    api_ = aggregator::QueryApi::create(*pipelines_.api, postgres_options(config_.postgres),
                                        redis_options(config_.redis), *http_);
  }
  if (Status started = http_->start(); !started.ok()) return started;
  spdlog::info("http: serving /health and /metrics on {}:{}", config_.http.listen.host,
               http_->port());
  return Status::Ok();
}

void Supervisor::stop() {
  if (!http_) return;
  // Pipelines stop first: each finishes (commits, acknowledges) the batch in hand. Their
  // health checks, routes and metrics stay valid until the server is down, so they are
  // destroyed after it.
  if (api_) api_->stop();
  if (stream_ingest_) stream_ingest_->stop();
  if (table_sync_) table_sync_->stop();
  http_->stop();
  api_.reset();
  http_.reset();
  stream_ingest_.reset();
  table_sync_.reset();
  spdlog::info("stopped");
}

bool Supervisor::stop_within(std::chrono::milliseconds deadline) {
  auto stopped = std::make_shared<std::promise<void>>();
  std::future<void> done = stopped->get_future();
  std::thread stopper([this, stopped] {
    stop();
    stopped->set_value();
  });
  if (done.wait_for(deadline) == std::future_status::ready) {
    stopper.join();
    return true;
  }
  stopper.detach();
  return false;
}

void Supervisor::register_build_info() {
  prometheus::BuildGauge()
      .Name("courier_build_info")
      .Help("Always 1; the labels say which courier is running")
      .Register(http_->metrics())
      .Add({{"version", std::string(kVersion)}})
      .Set(1);
}

void Supervisor::register_dependency_checks() {
  auto& up = dependency_up_family(http_->metrics());
  postgres_check_ = std::make_shared<PostgresCheck>(postgres_options(config_.postgres),
                                                    up.Add({{"dependency", "postgres"}}));
  redis_check_ =
      std::make_shared<RedisCheck>(redis_options(config_.redis), up.Add({{"dependency", "redis"}}));
  http_->health().add("postgres", [check = postgres_check_] { return check->probe(); });
  http_->health().add("redis", [check = redis_check_] { return check->probe(); });
}

}  // namespace courier::app
