#include "app/supervisor.h"

#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include "app/connection_settings.h"
#include "app/dependency_checks.h"
#include "app/version.h"

namespace courier::app {

Supervisor::Supervisor(config::CourierConfig config) : config_(std::move(config)) {}

Supervisor::~Supervisor() { stop(); }

Status Supervisor::start() {
  http_ = std::make_unique<http::HttpServer>(
      http::ServerOptions{.host = config_.http.listen.host, .port = config_.http.listen.port});
  register_build_info();
  register_dependency_checks();
  if (config_.reserved_section("streams")) {  // stream ingest; the CLI checked the section
    redis_to_pg::StreamsConfig streams;
    (void)redis_to_pg::read_streams(config_, config::process_environment(), streams);
    stream_ingest_ = std::make_unique<redis_to_pg::StreamIngest>(redis_to_pg::StreamIngestOptions{
        streams, postgres_options(config_.postgres), redis_options(config_.redis)});
    stream_ingest_->register_http(*http_);  // before the server starts
    if (Status started = stream_ingest_->start(); !started.ok()) return started;
  }
  if (Status started = http_->start(); !started.ok()) return started;
  spdlog::info("http: serving /health and /metrics on {}:{}", config_.http.listen.host,
               http_->port());
  return Status::Ok();
}

void Supervisor::stop() {
  stream_ingest_.reset();  // first: finishes its batches in hand
  if (!http_) return;
  http_->stop();
  http_.reset();
  spdlog::info("stopped");
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
  redis_check_ = std::make_shared<RedisCheck>(redis_options(config_.redis),
                                              up.Add({{"dependency", "redis"}}));
  http_->health().add("postgres", [check = postgres_check_] { return check->probe(); });
  http_->health().add("redis", [check = redis_check_] { return check->probe(); });
}

}  // namespace courier::app
