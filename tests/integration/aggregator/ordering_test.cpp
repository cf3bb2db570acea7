// Pages equal SQL: every user's timeline and feed, walked page by page with cursors and
// with offsets, on Zipf data with repeated timestamps, through Postgres only, through a
// cold cache, through a warm cache, and with a cache too small for deep pages.
#include <gtest/gtest.h>

#include "api_test_support.h"

namespace courier::aggregator::test {
namespace {

using courier::testing::shared_cluster;

ApiConfig config_with(bool cache, int timeline_size = 500) {
  ApiConfig api;
  api.cache.enabled = cache;
  api.cache.timeline_size = timeline_size;
  api.near_cache.enabled = false;  // the Redis path itself is under test
  return api;
}

void expect_pages_equal_sql(ApiEnvironment& env, const DatagenReport& data, const char* pass) {
  for (std::int64_t user = data.first_user_id; user <= data.last_user_id; ++user) {
    std::vector<std::int64_t> timeline = env.sql_user_posts(user);
    std::vector<std::int64_t> feed = env.sql_feed(user);
    size_t limit = 1 + static_cast<size_t>(user % 7);
    ASSERT_EQ(env.walk(user, false, limit), timeline) << pass << ": posts of user " << user;
    ASSERT_EQ(env.walk(user, true, limit), feed) << pass << ": feed of user " << user;
    if (user % 5 == 0) {
      ASSERT_EQ(env.walk(user, false, limit, /*by_offset=*/true), timeline) << pass << " offset";
      ASSERT_EQ(env.walk(user, true, limit, /*by_offset=*/true), feed) << pass << " offset";
    }
  }
}

const DatagenOptions kData{.users = 25, .posts = 700, .follows = 150, .seed = 11, .tie_every = 3};

TEST(QueryOrdering, PostgresOnlyPagesEqualSqlWithTies) {
  ApiEnvironment env(nullptr, config_with(false));
  DatagenReport data = env.generate(kData);
  // Ties exist: the tie-break by id is exercised.
  EXPECT_GT(env.sql_ids("SELECT count(*) - count(DISTINCT created_at) FROM posts", {})[0], 100);
  expect_pages_equal_sql(env, data, "postgres only");
}

TEST(QueryOrdering, CachedPagesEqualSqlColdAndWarm) {
  ApiEnvironment env(&shared_cluster(), config_with(true));
  DatagenReport data = env.generate(kData);
  expect_pages_equal_sql(env, data, "cold cache");
  std::string before = env.metrics();
  expect_pages_equal_sql(env, data, "warm cache");
  std::string after = env.metrics();
  const std::string hits = R"(courier_api_cache_total{kind="timeline",result="hit"})";
  const std::string misses = R"(courier_api_cache_total{kind="timeline",result="miss"})";
  EXPECT_GT(metric_value(after, hits), metric_value(before, hits));
  EXPECT_EQ(metric_value(after, misses), metric_value(before, misses))
      << "the warm pass found every timeline cached";
}

TEST(QueryOrdering, DeepPagesBeyondTheCachedPrefixStillEqualSql) {
  // Five posts per user cached: the hot users' later pages come from Postgres.
  ApiEnvironment env(&shared_cluster(), config_with(true, 5));
  DatagenReport data = env.generate(kData);
  expect_pages_equal_sql(env, data, "small cache, cold");
  expect_pages_equal_sql(env, data, "small cache, warm");
}

TEST(QueryOrdering, WithEveryDefenceOnPagesStillEqualSql) {
  ApiConfig api;  // near cache, coalescing, and replica reads on
  api.read_from_replicas = true;
  api.cache.timeline_size = 8;
  ApiEnvironment env(&shared_cluster(), api);
  DatagenReport data = env.generate(kData);
  expect_pages_equal_sql(env, data, "every defence, cold");
  expect_pages_equal_sql(env, data, "every defence, warm");
}

}  // namespace
}  // namespace courier::aggregator::test
