// Faults: a master killed (its replica promoted) and the whole cluster down. The API keeps
// answering complete, correctly ordered pages from Postgres meanwhile, says so in its
// metrics, and goes back to the cache once the cluster has recovered.
#include <gtest/gtest.h>

#include "aggregator/timeline_cache.h"
#include "api_test_support.h"
#include "redis/slot.h"

namespace courier::aggregator::test {
namespace {

using courier::testing::RedisCluster;

ApiConfig fault_config() {
  ApiConfig api;
  api.near_cache.enabled = false;  // every request must reach the cache or Postgres
  api.fallback.failure_threshold = 3;
  api.fallback.retry_after = 200ms;
  return api;
}

std::vector<std::int64_t> ids_of(const nlohmann::json& page) {
  std::vector<std::int64_t> ids;
  for (const nlohmann::json& post : page["posts"]) ids.push_back(post["id"].get<std::int64_t>());
  return ids;
}

std::vector<std::int64_t> first(const std::vector<std::int64_t>& ids, size_t n) {
  return {ids.begin(), ids.begin() + std::min(n, ids.size())};
}

const std::string kTimelineHits = R"(courier_api_cache_total{kind="timeline",result="hit"})";

TEST(QueryFaults, AKilledMasterIsAnsweredAroundAndTheCacheRecoversAfterFailover) {
  std::unique_ptr<RedisCluster> cluster = RedisCluster::start();  // own: a node dies
  ApiEnvironment env(cluster.get(), fault_config());
  DatagenReport data = env.generate({.users = 20, .posts = 400, .follows = 120, .seed = 4});
  std::int64_t hot = data.first_user_id;
  std::int64_t reader = data.last_user_id;
  std::vector<std::int64_t> timeline = env.sql_user_posts(hot);
  std::vector<std::int64_t> feed = env.sql_feed(reader);
  ASSERT_EQ(env.walk(hot, false, 10), timeline);  // warm
  ASSERT_EQ(env.walk(reader, true, 10), feed);

  cluster->master_for_slot(redis::key_slot(timeline_key(hot))).kill9();
  // Until the replica has taken over, every page is still complete and in order.
  bool healthy = false;
  int pages_during_outage = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!healthy && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(ids_of(env.page(hot, false, {.limit = 10})), first(timeline, 10));
    ASSERT_EQ(ids_of(env.page(reader, true, {.limit = 10})), first(feed, 10));
    ++pages_during_outage;
    healthy = cluster->wait_healthy(10ms);
  }
  ASSERT_TRUE(healthy) << "the cluster did not fail over within 60 s";
  EXPECT_GT(pages_during_outage, 0);
  std::string during = env.metrics();
  EXPECT_GT(metric_value(during, R"(courier_api_degraded_total{reason="redis_node_unavailable"})") +
                metric_value(during, R"(courier_api_degraded_total{reason="redis_circuit_open"})"),
            0);

  // After the failover the cache serves again: a page counts a timeline hit.
  bool recovered = poll_until(30s, [&] {
    double hits_before = metric_value(env.metrics(), kTimelineHits);
    EXPECT_EQ(ids_of(env.page(hot, false, {.limit = 10})), first(timeline, 10));
    return metric_value(env.metrics(), kTimelineHits) > hits_before;
  });
  EXPECT_TRUE(recovered) << "no cache hit within 30 s of the failover";
  EXPECT_EQ(env.walk(reader, true, 10), feed);
}

TEST(QueryFaults, AClusterEntirelyDownDegradesToPostgresOnlyQuickly) {
  std::unique_ptr<RedisCluster> cluster = RedisCluster::start();
  ApiEnvironment env(cluster.get(), fault_config());
  DatagenReport data = env.generate({.users = 10, .posts = 200, .follows = 40, .seed = 8});
  std::int64_t reader = data.last_user_id;
  std::vector<std::int64_t> feed = env.sql_feed(reader);
  ASSERT_EQ(env.walk(reader, true, 5), feed);  // warm

  for (size_t i = 0; i < cluster->size(); ++i) cluster->node(i).kill9();
  for (int round = 0; round < 20; ++round) {
    auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(ids_of(env.page(reader, true, {.limit = 5})), first(feed, 5)) << "round " << round;
    ASSERT_EQ(ids_of(env.page(data.first_user_id, false, {.limit = 5})),
              first(env.sql_user_posts(data.first_user_id), 5));
    // Once the breaker is open, Redis is not even tried.
    if (round >= 10) {
      EXPECT_LT(std::chrono::steady_clock::now() - started, 250ms) << round;
    }
  }
  std::string text = env.metrics();
  EXPECT_GT(metric_value(text, R"(courier_api_degraded_total{reason="redis_circuit_open"})"), 0);
  EXPECT_NE(env.service().redis_circuit(), "closed");
}

}  // namespace
}  // namespace courier::aggregator::test
