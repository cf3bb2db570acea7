// The pipelines `courier run` can start, in one place: which configuration section each
// reads, and the component that runs it. A new pipeline is one section reader and one
// Component (src/core/component.h), added to both functions here; nothing else in the
// program needs to know about it (docs/development.md, "Adding a pipeline").
//
//   PipelineConfigs pipelines;
//   for (config::ConfigError& e : read_pipelines(config, pipelines)) report(e);
//   Supervisor supervisor(http_server_options(config.http), make_components(config, pipelines));
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <optional>
#include <vector>

#include "aggregator/api_config.h"
#include "component.h"
#include "config/config_error.h"
#include "config/courier_config.h"
#include "pg_to_redis/changes_config.h"
#include "pg_to_redis/task_config.h"
#include "redis_to_pg/stream_config.h"

namespace courier::app {

// The pipelines' own sections, read and checked once, when the file was loaded.
struct PipelineConfigs {
  std::vector<pg_to_redis::TaskConfig> tasks;         // `tasks:`: table sync
  pg_to_redis::ChangesConfig changes;                 // `changes:`: for `capture: wal` tasks
  std::optional<redis_to_pg::StreamsConfig> streams;  // `streams:` present: stream ingest
  std::optional<aggregator::ApiConfig> api;           // `api:` present: the query API
};

// Reads every pipeline's section of a loaded file into `pipelines`; every error found, each
// with its path and line:column.
std::vector<config::ConfigError> read_pipelines(const config::CourierConfig& config,
                                                PipelineConfigs& pipelines);

// What `courier run` starts, in start order: the dependency checks, then each configured
// pipeline (table sync of the polled tasks, change capture of the `capture: wal` ones,
// stream ingest, query API).
Components make_components(const config::CourierConfig& config, PipelineConfigs pipelines);

}  // namespace courier::app
