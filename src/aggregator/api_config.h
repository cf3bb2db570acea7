// The `api:` section: the query API (REST, JSON) and its cache in the Redis Cluster named
// by the root `redis:` section (the API reads through the same cluster as everything
// else; it has no Redis of its own). Every defence against hot partitions can be switched
// off on its own, so its effect can be measured. Keys and defaults: docs/configuration.md.
//
//   std::optional<ApiConfig> api;
//   std::vector<config::ConfigError> errors = read_api_config(loaded.config, api);
//   if (errors.empty() && api) start_api(*api);
//
// Thread-safety: plain values; read_api_config reads the config's shared YAML, call it from
// one thread at a time per config.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config_error.h"
#include "config/courier_config.h"

namespace courier::aggregator {

struct ApiConfig {
  bool enabled = true;           // `enabled: false` keeps the section but serves no API
  std::string auth_token;        // non-empty: writes need "Authorization: Bearer <token>"
  bool auth_all_routes = false;  // true: every route, /health and /metrics too, needs it
  int postgres_connections = 8;  // pool shared by the HTTP workers
  std::chrono::milliseconds pool_wait{2'000};  // waiting for a free connection, then 503

  struct Cache {
    bool enabled = true;  // false: every read goes to Postgres (the benchmark's baseline)
    std::chrono::milliseconds timeline_ttl{std::chrono::minutes(10)};
    std::chrono::milliseconds post_ttl{std::chrono::hours(1)};
    int timeline_size = 500;  // newest posts cached per user on a miss
  } cache;

  struct NearCache {
    bool enabled = true;
    std::chrono::milliseconds ttl{1000};
    int max_entries = 100'000;  // each, for pages and for post bodies
    int max_memory_mb = 64;     // each, for pages and for post bodies
  } near_cache;

  bool coalescing = true;  // concurrent identical reads share one computation
  std::chrono::milliseconds coalescing_wait{5'000};  // a follower's wait for its leader; 503
  // Feeds of users following more accounts are answered by one Postgres query instead of
  // reading every followee's timeline into memory.
  int max_fanout = 5'000;
  bool read_from_replicas = false;  // cluster reads may go to replicas (which may lag)

  struct HotKeys {
    int tracked = 1024;  // keys counted (bounded memory)
    int exported = 10;   // keys shown in /metrics
  } hot_keys;

  struct Fallback {
    int failure_threshold = 5;                     // Redis failures in a row: Postgres only
    std::chrono::milliseconds retry_after{1'000};  // then probe Redis again
  } fallback;
};

// Reads `api:`; `out` stays nullopt when the file has no such section. Every mistake is
// returned with its path and line:column.
std::vector<config::ConfigError> read_api_config(const config::CourierConfig& config,
                                                 std::optional<ApiConfig>& out);

}  // namespace courier::aggregator
