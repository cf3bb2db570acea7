// The near cache: pages served from process memory for its TTL; a write through this
// instance drops the pages it changes at once; another writer's change shows after the TTL.
#include <gtest/gtest.h>

#include "api_test_support.h"

namespace courier::aggregator::test {
namespace {

using courier::testing::shared_cluster;

std::int64_t first_id(const nlohmann::json& page) {
  return page["posts"][0]["id"].get<std::int64_t>();
}

// Every defence on, the near cache's TTL 5 s of a clock that moves only when told.
class NearCache : public ::testing::Test {
 protected:
  static ApiConfig with_ttl() {
    ApiConfig api;
    api.near_cache.ttl = 5s;
    return api;
  }
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  ApiEnvironment env{&shared_cluster(), with_ttl(), clock_};
};

TEST_F(NearCache, OwnWritesShowAtOnceOthersAfterTheTtl) {
  ManualClock* clock = clock_.get();
  DatagenReport data = env.generate({.users = 4, .posts = 40, .follows = 6, .seed = 6});
  std::int64_t author = data.first_user_id;
  std::int64_t before = first_id(env.page(author, false, {.limit = 3}));
  const std::string near_hits = R"(courier_api_cache_total{kind="near",result="hit"})";
  (void)env.page(author, false, {.limit = 3});
  EXPECT_EQ(metric_value(env.metrics(), near_hits), 1);

  // Through this instance: the next page has the post.
  Result<std::string> mine = env.service().create_post({author, "mine"});
  ASSERT_TRUE(mine.ok());
  std::int64_t mine_id = nlohmann::json::parse(*mine)["id"].get<std::int64_t>();
  EXPECT_EQ(first_id(env.page(author, false, {.limit = 3})), mine_id);

  // Another writer (straight into Postgres and the cache, as another instance would).
  std::int64_t theirs =
      env.sql_ids("INSERT INTO posts (user_id, content) VALUES ($1, 'theirs') RETURNING id",
                  {std::to_string(author)})[0];
  ASSERT_TRUE(env.admin().command({"DEL", timeline_key(author)}).ok());
  EXPECT_EQ(first_id(env.page(author, false, {.limit = 3})), mine_id) << "within the TTL";
  clock->advance(5s);
  EXPECT_EQ(first_id(env.page(author, false, {.limit = 3})), theirs) << "after the TTL";
  EXPECT_NE(before, theirs);
}

TEST_F(NearCache, AHotTimelineIsReadFromTheClusterOncePerTtlForEveryFeedItIsIn) {
  DatagenReport data = env.generate({.users = 4, .posts = 40, .follows = 0, .seed = 6});
  std::int64_t hot = data.first_user_id;
  for (std::int64_t reader = hot + 1; reader <= data.last_user_id; ++reader)
    ASSERT_TRUE(env.service().follow(reader, {hot}).ok());
  const std::string near_heads = R"(courier_api_cache_total{kind="near_timeline",result="hit"})";
  // Each reader's followees, then the hot timeline, reach the cluster off the request path.
  for (std::int64_t reader = hot + 1; reader <= data.last_user_id; ++reader)
    (void)env.page(reader, true, {.limit = 5});
  (void)env.page(hot + 1, true, {.limit = 5});
  EXPECT_EQ(metric_value(env.metrics(), near_heads), 0);
  (void)env.page(hot + 1, true, {.limit = 5});
  EXPECT_EQ(metric_value(env.metrics(), near_heads), 0)
      << "the head's first read is from the cluster";
  nlohmann::json second = env.page(hot + 2, true, {.limit = 5});
  nlohmann::json third = env.page(hot + 3, true, {.limit = 5});
  EXPECT_EQ(metric_value(env.metrics(), near_heads), 2) << "the hot head came from memory";
  EXPECT_EQ(second["posts"], third["posts"]);
  // A post by the hot user through this instance drops the head at once.
  Result<std::string> fresh = env.service().create_post({hot, "news"});
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(first_id(env.page(hot + 2, true, {.limit = 5})),
            nlohmann::json::parse(*fresh)["id"].get<std::int64_t>());
}

}  // namespace
}  // namespace courier::aggregator::test
