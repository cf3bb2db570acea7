#include "aggregator/api_config.h"

#include "config/reader.h"

namespace courier::aggregator {
namespace {

using config::MappingReader;

template <typename Value>
void read_into(std::optional<Value> read, Value& target) {
  if (read) target = *read;
}

void read_cache(MappingReader& section, ApiConfig::Cache& cache) {
  read_into(section.boolean("enabled"), cache.enabled);
  read_into(section.duration("timeline_ttl", config::kPositiveDuration), cache.timeline_ttl);
  read_into(section.duration("post_ttl", config::kPositiveDuration), cache.post_ttl);
  read_into(section.integer<int>("timeline_size", {1, 5'000}), cache.timeline_size);
  section.finish();
}

void read_near_cache(MappingReader& section, ApiConfig::NearCache& near_cache) {
  read_into(section.boolean("enabled"), near_cache.enabled);
  read_into(section.duration("ttl", config::kPositiveDuration), near_cache.ttl);
  read_into(section.integer<int>("max_entries", {1, 10'000'000}), near_cache.max_entries);
  read_into(section.integer<int>("max_memory_mb", {1, 1'000'000}), near_cache.max_memory_mb);
  section.finish();
}

void read_hot_keys(MappingReader& section, ApiConfig::HotKeys& hot_keys) {
  read_into(section.integer<int>("tracked", {1, 1'000'000}), hot_keys.tracked);
  read_into(section.integer<int>("exported", {0, 100}), hot_keys.exported);
  section.finish();
}

void read_fallback(MappingReader& section, ApiConfig::Fallback& fallback) {
  read_into(section.integer<int>("failure_threshold", {1, 1'000}), fallback.failure_threshold);
  read_into(section.duration("retry_after", config::kPositiveDuration), fallback.retry_after);
  section.finish();
}

}  // namespace

std::vector<config::ConfigError> read_api_config(const config::CourierConfig& config,
                                                 std::optional<ApiConfig>& out) {
  const config::ReservedSection* section = config.reserved_section("api");
  if (section == nullptr) return {};
  config::ConfigErrors errors;
  config::ReadContext context(errors);
  config::ValueReader value = config::open_reserved_section(*section, context);
  ApiConfig api;
  if (!value.is_null()) {
    std::optional<MappingReader> root = value.as_mapping();
    if (!root) return errors.sorted();
    read_into(root->boolean("enabled"), api.enabled);
    read_into(root->string("auth_token"), api.auth_token);
    read_into(root->boolean("auth_all_routes"), api.auth_all_routes);
    if (api.auth_all_routes && api.auth_token.empty())
      root->error_at("auth_all_routes", "auth_all_routes needs auth_token; set api.auth_token");
    read_into(root->integer<int>("postgres_connections", {1, 1'000}), api.postgres_connections);
    read_into(root->duration("pool_wait", config::kPositiveDuration), api.pool_wait);
    read_into(root->boolean("coalescing"), api.coalescing);
    read_into(root->duration("coalescing_wait", config::kPositiveDuration), api.coalescing_wait);
    read_into(root->integer<int>("max_fanout", {1, 10'000'000}), api.max_fanout);
    read_into(root->boolean("read_from_replicas"), api.read_from_replicas);
    if (auto cache = root->mapping("cache")) read_cache(*cache, api.cache);
    if (auto near_cache = root->mapping("near_cache")) read_near_cache(*near_cache, api.near_cache);
    if (auto hot_keys = root->mapping("hot_keys")) read_hot_keys(*hot_keys, api.hot_keys);
    if (auto fallback = root->mapping("fallback")) read_fallback(*fallback, api.fallback);
    if (api.hot_keys.exported > api.hot_keys.tracked)
      root->error_at("hot_keys", "hot_keys.exported (" + std::to_string(api.hot_keys.exported) +
                                     ") cannot exceed hot_keys.tracked (" +
                                     std::to_string(api.hot_keys.tracked) + ")");
    root->finish();
  }
  out = api;
  return errors.sorted();
}

}  // namespace courier::aggregator
