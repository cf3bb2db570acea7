// Request coalescing: concurrent identical misses share one Postgres query; switched off,
// each runs its own. Postgres is held (a lock on posts) until every request has arrived,
// so the requests overlap for certain.
#include <gtest/gtest.h>

#include <thread>

#include "api_test_support.h"

namespace courier::aggregator::test {
namespace {

using courier::testing::shared_cluster;

// The request path's query, and the fill's (off the request path).
const std::string kPageQueries = R"(courier_api_postgres_queries_total{query="user_posts"})";
const std::string kFillQueries = R"(courier_api_postgres_queries_total{query="newest_posts"})";

struct Burst {
  double postgres_queries = 0;  // on the request path
  double fill_queries = 0;
  std::vector<std::string> bodies;
};

// `requests` identical cold reads of one timeline while Postgres holds them at a lock;
// `overlapping` says when all of them are in flight. The fill the first miss asks for
// waits at the lock too.
Burst burst(ApiEnvironment& env, std::int64_t user, int requests,
            const std::function<bool()>& overlapping) {
  std::unique_ptr<pg::Connection> locker = open_postgres(env.postgres_options());
  EXPECT_TRUE(locker->execute("BEGIN").ok());
  EXPECT_TRUE(locker->execute("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE").ok());
  Burst result;
  result.bodies.resize(requests);
  std::vector<std::thread> clients;
  for (int i = 0; i < requests; ++i) {
    clients.emplace_back([&, i] {
      Result<std::string> body = env.service().user_posts(user, {.limit = 5});
      result.bodies[i] = body.ok() ? *body : body.status().to_string();
    });
  }
  EXPECT_TRUE(poll_until(20s, overlapping)) << "the requests never overlapped";
  EXPECT_TRUE(locker->execute("COMMIT").ok());
  for (std::thread& client : clients) client.join();
  EXPECT_TRUE(env.service().wait_for_fills(20s));
  result.postgres_queries = metric_value(env.metrics(), kPageQueries);
  result.fill_queries = metric_value(env.metrics(), kFillQueries);
  return result;
}

int waiting_for_lock(ApiEnvironment& env) {
  return static_cast<int>(
      env.sql_ids("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                  "AND datname = current_database()",
                  {})[0]);
}

TEST(RequestCoalescing, ConcurrentIdenticalMissesShareOnePostgresQuery) {
  ApiConfig api;
  api.near_cache.enabled = false;
  ApiEnvironment env(&shared_cluster(), api);
  DatagenReport data = env.generate({.users = 3, .posts = 30, .follows = 2, .seed = 2});
  Burst shared = burst(env, data.first_user_id, 6, [&] {
    return env.service().coalesced_waiting() == 5 && waiting_for_lock(env) == 2;  // + the fill
  });
  EXPECT_EQ(shared.postgres_queries, 1);
  EXPECT_EQ(shared.fill_queries, 1);
  for (const std::string& body : shared.bodies) EXPECT_EQ(body, shared.bodies[0]);
  EXPECT_NE(shared.bodies[0].find("\"posts\""), std::string::npos) << shared.bodies[0];
}

TEST(RequestCoalescing, SwitchedOffEveryMissRunsItsOwnQuery) {
  ApiConfig api;
  api.near_cache.enabled = false;
  api.coalescing = false;
  ApiEnvironment env(&shared_cluster(), api);
  DatagenReport data = env.generate({.users = 3, .posts = 30, .follows = 2, .seed = 2});
  Burst separate = burst(env, data.first_user_id, 6, [&] { return waiting_for_lock(env) == 7; });
  EXPECT_EQ(separate.postgres_queries, 6);
  EXPECT_EQ(separate.fill_queries, 1) << "six misses of one timeline fill it once";
  for (const std::string& body : separate.bodies) EXPECT_EQ(body, separate.bodies[0]);
}

}  // namespace
}  // namespace courier::aggregator::test
