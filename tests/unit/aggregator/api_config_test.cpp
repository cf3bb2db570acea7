#include "aggregator/api_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/courier_config.h"

namespace courier::aggregator {
namespace {

using namespace std::chrono_literals;

struct Read {
  std::optional<ApiConfig> api;
  std::vector<config::ConfigError> errors;
};

Read read(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  config::LoadResult loaded = config::load_config_string(
      yaml, "courier.yaml", config::environment_from_map(std::move(env)));
  EXPECT_TRUE(loaded.ok()) << loaded.error_report();
  Read result;
  result.errors = read_api_config(loaded.config, result.api);
  return result;
}

std::string text_of(const std::string& relative_path) {
  std::ifstream in(std::filesystem::path(COURIER_SOURCE_DIR) / relative_path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ApiConfig, AbsentSectionMeansNoApi) {
  Read result = read("http:\n  listen: 127.0.0.1:0\n");
  EXPECT_TRUE(result.errors.empty());
  EXPECT_FALSE(result.api);
}

TEST(ApiConfig, AnEmptyMappingTurnsTheApiOnWithDefaults) {
  Read result = read("api: {}\n");
  ASSERT_TRUE(result.errors.empty());
  ASSERT_TRUE(result.api);
  EXPECT_TRUE(result.api->cache.enabled);
  EXPECT_TRUE(result.api->near_cache.enabled);
  EXPECT_EQ(result.api->near_cache.ttl, 1s);
  EXPECT_EQ(result.api->near_cache.max_memory_mb, 64);
}

TEST(ApiConfig, ReadsEveryKey) {
  Read result = read(R"(api:
  auth_token: ${TOKEN}
  postgres_connections: 3
  cache: {enabled: false, timeline_ttl: 1m, post_ttl: 2h, timeline_size: 50}
  near_cache: {enabled: false, ttl: 2s, max_entries: 7, max_memory_mb: 3}
  coalescing: false
  read_from_replicas: true
  hot_keys: {tracked: 20, exported: 5}
  fallback: {failure_threshold: 2, retry_after: 300ms}
)",
                     {{"TOKEN", "s3cret"}});
  ASSERT_TRUE(result.errors.empty());
  const ApiConfig& api = *result.api;
  EXPECT_EQ(api.auth_token, "s3cret");
  EXPECT_EQ(api.postgres_connections, 3);
  EXPECT_FALSE(api.cache.enabled);
  EXPECT_EQ(api.cache.timeline_ttl, 1min);
  EXPECT_EQ(api.cache.post_ttl, 2h);
  EXPECT_EQ(api.cache.timeline_size, 50);
  EXPECT_FALSE(api.near_cache.enabled);
  EXPECT_EQ(api.near_cache.ttl, 2s);
  EXPECT_EQ(api.near_cache.max_memory_mb, 3);
  EXPECT_EQ(api.near_cache.max_entries, 7);
  EXPECT_FALSE(api.coalescing);
  EXPECT_TRUE(api.read_from_replicas);
  EXPECT_EQ(api.hot_keys.tracked, 20);
  EXPECT_EQ(api.hot_keys.exported, 5);
  EXPECT_EQ(api.fallback.failure_threshold, 2);
  EXPECT_EQ(api.fallback.retry_after, 300ms);
}

TEST(ApiConfig, EveryMistakeIsReportedWithItsPlace) {
  Read result = read(R"(api:
  postgres_connections: 0
  cache:
    timeline_size: many
    tll: 5m
  near_cache: {ttl: -1s}
  hot_keys: {tracked: 5, exported: 9}
)");
  ASSERT_EQ(result.errors.size(), 5u);
  EXPECT_EQ(result.errors[0].path, "api.postgres_connections");
  EXPECT_EQ(result.errors[0].line, 2);
  EXPECT_EQ(result.errors[1].path, "api.cache.timeline_size");
  EXPECT_EQ(result.errors[1].line, 4);
  EXPECT_NE(result.errors[2].message.find("ttl"), std::string::npos) << result.errors[2].message;
  EXPECT_EQ(result.errors[3].line, 6);
  EXPECT_NE(result.errors[4].message.find("cannot exceed"), std::string::npos);
}

TEST(ApiConfig, TheReferenceExampleSpellsOutTheDefaults) {
  std::string reference = text_of("docs/configuration.md");
  size_t start = reference.find("```yaml\napi:");
  ASSERT_NE(start, std::string::npos) << "docs/configuration.md lost its api example";
  start += 8;
  std::string block = reference.substr(start, reference.find("```", start) - start);
  Read documented = read(block);
  ASSERT_TRUE(documented.errors.empty()) << block;
  ApiConfig defaults;
  const ApiConfig& api = *documented.api;
  EXPECT_EQ(api.postgres_connections, defaults.postgres_connections);
  EXPECT_EQ(api.pool_wait, defaults.pool_wait);
  EXPECT_EQ(api.cache.timeline_ttl, defaults.cache.timeline_ttl);
  EXPECT_EQ(api.cache.post_ttl, defaults.cache.post_ttl);
  EXPECT_EQ(api.cache.timeline_size, defaults.cache.timeline_size);
  EXPECT_EQ(api.near_cache.ttl, defaults.near_cache.ttl);
  EXPECT_EQ(api.near_cache.max_entries, defaults.near_cache.max_entries);
  EXPECT_EQ(api.coalescing, defaults.coalescing);
  EXPECT_EQ(api.read_from_replicas, defaults.read_from_replicas);
  EXPECT_EQ(api.hot_keys.tracked, defaults.hot_keys.tracked);
  EXPECT_EQ(api.hot_keys.exported, defaults.hot_keys.exported);
  EXPECT_EQ(api.fallback.failure_threshold, defaults.fallback.failure_threshold);
  EXPECT_EQ(api.fallback.retry_after, defaults.fallback.retry_after);
}

TEST(ApiConfig, TheSocialExamplesAreValid) {
  for (const char* file : {"examples/social/courier.yaml", "examples/social/cluster.yaml"}) {
    Read example = read(text_of(file));
    EXPECT_TRUE(example.errors.empty()) << file;
    EXPECT_TRUE(example.api) << file;
  }
}

TEST(ApiConfig, LimitsHaveDefaultsAndCanBeSet) {
  Read defaults = read("api: {}\n");
  ASSERT_TRUE(defaults.api);
  EXPECT_FALSE(defaults.api->auth_all_routes);
  EXPECT_EQ(defaults.api->coalescing_wait, 5s);
  EXPECT_EQ(defaults.api->max_fanout, 5'000);
  Read set = read(
      "api:\n  auth_token: t\n  auth_all_routes: true\n  coalescing_wait: 250ms\n"
      "  max_fanout: 10\n");
  ASSERT_TRUE(set.errors.empty());
  ASSERT_TRUE(set.api);
  EXPECT_TRUE(set.api->auth_all_routes);
  EXPECT_EQ(set.api->coalescing_wait, 250ms);
  EXPECT_EQ(set.api->max_fanout, 10);
}

TEST(ApiConfig, AuthAllRoutesNeedsAToken) {
  Read result = read("api:\n  auth_all_routes: true\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].path, "api.auth_all_routes");
  EXPECT_NE(result.errors[0].message.find("needs auth_token"), std::string::npos);
}

}  // namespace
}  // namespace courier::aggregator
