#include "app/supervisor.h"

#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include "aggregator/query_api.h"
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
  auto api = aggregator::QueryApi::from_config(config_, postgres_options(config_.postgres),
                                               redis_options(config_.redis), *http_);
  if (!api.ok()) return api.status();
  api_ = std::move(*api);
  if (Status started = http_->start(); !started.ok()) return started;
  spdlog::info("http: serving /health and /metrics on {}:{}", config_.http.listen.host,
               http_->port());
  return Status::Ok();
}

void Supervisor::stop() {
  if (!http_) return;
  if (api_) api_->stop();
  http_->stop();
  api_.reset();
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
