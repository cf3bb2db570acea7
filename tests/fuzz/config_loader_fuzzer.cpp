// Fuzz target: the configuration loader as `courier validate` runs it: the YAML text of
// the fuzz input loaded (src/config), then the pipeline sections read by their modules
// (tasks, streams, api), every mistake collected and described. ${VAR}s are resolved
// against a fixed environment, so a seed can use them:
//
//   postgres: {url: "${DATABASE_URL}"}
//   tasks: [{name: t, table: orders, structure: hash, key: "o:{id}"}]
//
// Any input must load without crashing, each mistake with a message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aggregator/api_config.h"
#include "config/courier_config.h"
#include "fuzz_input.h"
#include "pg_to_redis/task_config.h"
#include "redis_to_pg/stream_config.h"

namespace {

using courier::config::ConfigError;

const courier::config::EnvLookup& fuzz_environment() {
  static const courier::config::EnvLookup env = courier::config::environment_from_map({
      {"DATABASE_URL", "postgresql://app:secret@db.example:5432/shop"},
      {"REDIS_URL", "redis://cache.example:6379/0"},
      {"PORT", "8080"},
      {"BATCH_SIZE", "50"},
      {"EMPTY", ""},
  });
  return env;
}

void check(const std::vector<ConfigError>& errors) {
  for (const ConfigError& error : errors) courier::fuzz::require(!error.message.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml = courier::fuzz::as_text(data, size);
  courier::config::LoadResult loaded =
      courier::config::load_config_string(yaml, "fuzz.yaml", fuzz_environment());
  check(loaded.errors);
  (void)loaded.error_report();
  (void)loaded.config.describe();

  std::vector<courier::pg_to_redis::TaskConfig> tasks;
  check(courier::pg_to_redis::read_tasks(loaded.config, tasks));
  for (const auto& task : tasks) (void)task.describe();

  courier::redis_to_pg::StreamsConfig streams;
  check(courier::redis_to_pg::read_streams(loaded.config, fuzz_environment(), streams));
  (void)streams.describe();

  std::optional<courier::aggregator::ApiConfig> api;
  check(courier::aggregator::read_api_config(loaded.config, api));
  return 0;
}
