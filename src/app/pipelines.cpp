#include "app/pipelines.h"

#include "aggregator/query_api.h"
#include "app/connection_settings.h"
#include "app/dependency_checks.h"
#include "pg_to_redis/change_capture.h"
#include "pg_to_redis/table_sync.h"
#include "redis_to_pg/stream_ingest.h"

namespace courier::app {

std::vector<config::ConfigError> read_pipelines(const config::CourierConfig& config,
                                                PipelineConfigs& pipelines) {
  std::vector<config::ConfigError> errors = pg_to_redis::read_tasks(config, pipelines.tasks);
  auto add = [&errors](std::vector<config::ConfigError> more) {
    for (config::ConfigError& error : more) errors.push_back(std::move(error));
  };
  add(pg_to_redis::read_changes_config(config, pipelines.changes));
  redis_to_pg::StreamsConfig streams;
  add(redis_to_pg::read_streams(config, config::process_environment(), streams));
  if (config.reserved_section("streams")) pipelines.streams = std::move(streams);
  add(aggregator::read_api_config(config, pipelines.api));
  return errors;
}

Components make_components(const config::CourierConfig& config, PipelineConfigs pipelines) {
  const pg::ConnectionOptions postgres = postgres_options(config.postgres);
  const redis::ClientOptions redis = redis_options(config.redis);
  Components components;
  components.push_back(std::make_unique<DependencyChecks>(postgres, redis));
  std::vector<pg_to_redis::TaskConfig> polled;
  std::vector<pg_to_redis::TaskConfig> captured;
  for (pg_to_redis::TaskConfig& task : pipelines.tasks)
    (task.capture == pg_to_redis::Capture::kWal ? captured : polled).push_back(std::move(task));
  if (!polled.empty()) {
    components.push_back(std::make_unique<pg_to_redis::TableSync>(
        std::move(polled),
        pg_to_redis::TableSyncOptions{
            .postgres = postgres, .redis = redis, .cluster = config.redis.cluster()}));
  }
  if (!captured.empty()) {
    components.push_back(std::make_unique<pg_to_redis::ChangeCapture>(
        std::move(captured), pg_to_redis::ChangeCaptureOptions{.postgres = postgres,
                                                               .redis = redis,
                                                               .cluster = config.redis.cluster(),
                                                               .changes = pipelines.changes}));
  }
  if (pipelines.streams) {
    components.push_back(std::make_unique<redis_to_pg::StreamIngest>(
        redis_to_pg::StreamIngestOptions{std::move(*pipelines.streams), postgres, redis}));
  }
  if (pipelines.api && pipelines.api->enabled) {
    components.push_back(
        std::make_unique<aggregator::QueryApi>(std::move(*pipelines.api), postgres, redis));
  }
  return components;
}

}  // namespace courier::app
