// The cache never serves a partial timeline as complete, writes go through Postgres and
// then into the cache, and the feed reads every node in one round of pipelines.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "aggregator/timeline_cache.h"
#include "api_test_support.h"

namespace courier::aggregator::test {
namespace {

using courier::testing::shared_cluster;

ApiConfig cache_only() {
  ApiConfig api;
  api.near_cache.enabled = false;
  return api;
}

std::vector<std::int64_t> ids_of(const nlohmann::json& page) {
  std::vector<std::int64_t> ids;
  for (const nlohmann::json& post : page["posts"]) ids.push_back(post["id"].get<std::int64_t>());
  return ids;
}

std::string member(std::int64_t id) {
  return fmt::format("{:020}", id);
}

class TimelineCacheTest : public ::testing::Test {
 protected:
  ApiEnvironment env_{&shared_cluster(), cache_only()};
  DatagenReport data_ = env_.generate({.users = 3, .posts = 60, .follows = 4, .seed = 5});
  std::int64_t hot_ = data_.first_user_id;  // rank 1: most posts

  std::int64_t created_us(std::int64_t post_id) {
    return env_.sql_ids(
        "SELECT (extract(epoch FROM created_at) * 1000000)::bigint FROM posts WHERE id = $1",
        {std::to_string(post_id)})[0];
  }

  // Writes `ids` of the hot user's posts into its sorted set, as a partial cache would hold.
  void cache_some_posts(const std::vector<std::int64_t>& ids) {
    for (std::int64_t id : ids) {
      Result<redis::Reply> added = env_.admin().command(
          {"ZADD", timeline_key(hot_), std::to_string(created_us(id)), member(id)});
      ASSERT_TRUE(added.ok()) << added.status().to_string();
    }
  }
};

TEST_F(TimelineCacheTest, ASetWithoutMarkerIsNeverServed) {
  std::vector<std::int64_t> all = env_.sql_user_posts(hot_);
  ASSERT_GE(all.size(), 10u);
  cache_some_posts({all[0], all[2]});  // only two posts, and a gap between them
  nlohmann::json page = env_.page(hot_, false, {.limit = 5});
  EXPECT_EQ(ids_of(page), std::vector<std::int64_t>(all.begin(), all.begin() + 5));
  EXPECT_TRUE(page["has_more"].get<bool>());
}

TEST_F(TimelineCacheTest, ACoverageMemberVouchesOnlyDownToTheOldestPostLoaded) {
  std::vector<std::int64_t> all = env_.sql_user_posts(hot_);
  // A set holding the newest four and a coverage member saying so: a page of ten needs
  // Postgres.
  cache_some_posts({all[0], all[1], all[2], all[3]});
  std::string coverage = timeline_coverage_member(PostKey{created_us(all[3]), all[3]});
  ASSERT_TRUE(env_.admin()
                  .command({"ZADD", timeline_key(hot_), std::string(kCoverageScore), coverage})
                  .ok());
  nlohmann::json small = env_.page(hot_, false, {.limit = 3});
  EXPECT_EQ(ids_of(small), std::vector<std::int64_t>(all.begin(), all.begin() + 3));
  nlohmann::json large = env_.page(hot_, false, {.limit = 10});
  EXPECT_EQ(ids_of(large), std::vector<std::int64_t>(all.begin(), all.begin() + 10));
  EXPECT_EQ(env_.walk(hot_, false, 4), all);
}

TEST_F(TimelineCacheTest, ASetThatLostItsCoverageMakesTheNextReadReloadFromPostgres) {
  std::vector<std::int64_t> all = env_.sql_user_posts(hot_);
  ASSERT_EQ(env_.walk(hot_, false, 100), all);  // cold: loads and fills
  ASSERT_TRUE(env_.admin()
                  .command({"ZREMRANGEBYSCORE", timeline_key(hot_), std::string(kCoverageScore),
                            std::string(kCoverageScore)})
                  .ok());
  // A post written straight to Postgres (another writer): the uncovered set must not hide it.
  std::vector<std::int64_t> inserted = env_.sql_ids(
      "INSERT INTO posts (user_id, content) VALUES ($1, 'behind the cache') "
      "RETURNING id",
      {std::to_string(hot_)});
  nlohmann::json page = env_.page(hot_, false, {.limit = 1});
  EXPECT_EQ(ids_of(page), inserted);
}

TEST_F(TimelineCacheTest, AWriteGoesToPostgresThenIntoTheCachedTimeline) {
  std::vector<std::int64_t> before = env_.walk(hot_, false, 100);  // fills the cache
  Result<std::string> created = env_.service().create_post({hot_, "fresh"});
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  std::int64_t id = nlohmann::json::parse(*created)["id"].get<std::int64_t>();
  EXPECT_EQ(env_.sql_user_posts(hot_).front(), id);  // in Postgres
  Result<redis::Reply> score = env_.admin().command({"ZSCORE", timeline_key(hot_), member(id)});
  ASSERT_TRUE(score.ok());
  EXPECT_TRUE(score->is_string()) << "the post is in the cached timeline";
  std::string misses_before = env_.metrics();
  nlohmann::json page = env_.page(hot_, false, {.limit = 2});
  EXPECT_EQ(ids_of(page), (std::vector<std::int64_t>{id, before[0]}));
  const std::string misses = R"(courier_api_cache_total{kind="timeline",result="miss"})";
  EXPECT_EQ(metric_value(env_.metrics(), misses), metric_value(misses_before, misses));
  // The body is cached too, with a TTL.
  Result<redis::Reply> ttl = env_.admin().command({"PTTL", post_body_key(id)});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer(), 0);
}

TEST_F(TimelineCacheTest, AFollowShowsInTheNextFeedPage) {
  std::int64_t reader = data_.last_user_id;
  (void)env_.page(reader, true, {.limit = 5});  // caches the followees
  Result<std::string> newcomer = env_.service().create_user({"newcomer"});
  ASSERT_TRUE(newcomer.ok()) << newcomer.status().to_string();
  std::int64_t followee = nlohmann::json::parse(*newcomer)["id"].get<std::int64_t>();
  ASSERT_TRUE(env_.service().create_post({followee, "first words"}).ok());
  Result<std::string> followed = env_.service().follow(reader, {followee});
  ASSERT_TRUE(followed.ok()) << followed.status().to_string();
  EXPECT_TRUE(nlohmann::json::parse(*followed)["created"].get<bool>());
  std::vector<std::int64_t> feed = env_.sql_feed(reader);
  EXPECT_EQ(env_.walk(reader, true, 7), feed);
  EXPECT_EQ(ids_of(env_.page(reader, true, {.limit = 1})).front(), feed.front());
}

TEST_F(TimelineCacheTest, AWarmFeedPageReadsOneRangePerFolloweeAndOneBodyPerPostShown) {
  DatagenReport big = env_.generate({.users = 60, .posts = 600, .follows = 1500, .seed = 9});
  std::int64_t reader = big.last_user_id;
  std::vector<std::int64_t> sql = env_.sql_feed(reader);
  (void)env_.walk(reader, true, 20);  // warm
  // Count the commands the masters serve for one warm page.
  std::vector<Result<redis::Reply>> reset = env_.admin().on_every_master({"CONFIG", "RESETSTAT"});
  for (const auto& reply : reset) ASSERT_TRUE(reply.ok());
  nlohmann::json page = env_.page(reader, true, {.limit = 20});
  std::vector<std::int64_t> expected(sql.begin(), sql.begin() + std::min<size_t>(20, sql.size()));
  EXPECT_EQ(ids_of(page), expected);
  auto calls = [&](std::string_view command) {
    long long total = 0;
    std::string field = "cmdstat_" + std::string(command) + ":calls=";
    for (const Result<redis::Reply>& info :
         env_.admin().on_every_master({"INFO", "commandstats"})) {
      EXPECT_TRUE(info.ok());
      size_t at = info.ok() ? info->str().find(field) : std::string::npos;
      if (at != std::string::npos) total += std::stoll(info->str().substr(at + field.size()));
    }
    return total;
  };
  // The followee set (its coverage inside), one range per followee (its coverage inside),
  // one GET per body shown: no post outside the page is fetched, and nothing twice.
  std::vector<std::int64_t> followees = env_.sql_ids(
      "SELECT followee_id FROM follows WHERE follower_id = $1", {std::to_string(reader)});
  EXPECT_EQ(calls("smembers"), 1);
  EXPECT_EQ(calls("zrevrange"), static_cast<long long>(followees.size()));
  EXPECT_EQ(calls("get"), static_cast<long long>(expected.size()));
}

// Postgres queries of each kind so far, as courier_api_postgres_queries_total counts them.
std::map<std::string, double> queries_by_kind(const std::string& metrics) {
  std::map<std::string, double> counts;
  for (const char* query : {"feed", "user_posts", "followees", "newest_posts", "posts"})
    counts[query] = metric_value(
        metrics, fmt::format(R"(courier_api_postgres_queries_total{{query="{}"}})", query));
  return counts;
}

TEST_F(TimelineCacheTest, AMissIsAnsweredByOneQueryAndFilledOffTheRequestPath) {
  std::int64_t reader = data_.last_user_id;
  std::vector<std::int64_t> sql = env_.sql_feed(reader);
  std::vector<std::int64_t> first_five(sql.begin(), sql.begin() + std::min<size_t>(5, sql.size()));
  std::vector<std::int64_t> followees = env_.sql_ids(
      "SELECT followee_id FROM follows WHERE follower_id = $1", {std::to_string(reader)});
  ASSERT_FALSE(followees.empty());
  using Counts = std::map<std::string, double>;
  auto page_costs = [&] {  // one page; the queries it made, the fill's included
    Counts before = queries_by_kind(env_.metrics());
    EXPECT_EQ(ids_of(env_.page(reader, true, {.limit = 5})), first_five);
    Counts after = queries_by_kind(env_.metrics());
    for (auto& [query, count] : after) count -= before[query];
    return after;
  };
  // Nothing cached: the feed query answers; the followees are filled after.
  EXPECT_EQ(
      page_costs(),
      (Counts{
          {"feed", 1}, {"user_posts", 0}, {"followees", 1}, {"newest_posts", 0}, {"posts", 0}}));
  // The followees are cached, their timelines not: the feed query again, one fill for all.
  EXPECT_EQ(
      page_costs(),
      (Counts{
          {"feed", 1}, {"user_posts", 0}, {"followees", 0}, {"newest_posts", 1}, {"posts", 0}}));
  // Timelines cached: the bodies shown are loaded once, then nothing comes from Postgres.
  EXPECT_EQ(
      page_costs(),
      (Counts{
          {"feed", 0}, {"user_posts", 0}, {"followees", 0}, {"newest_posts", 0}, {"posts", 1}}));
  EXPECT_EQ(
      page_costs(),
      (Counts{
          {"feed", 0}, {"user_posts", 0}, {"followees", 0}, {"newest_posts", 0}, {"posts", 0}}));
  std::string metrics = env_.metrics();
  EXPECT_EQ(
      metric_value(metrics, R"(courier_api_cache_fills_total{kind="followees",result="filled"})"),
      1);
  EXPECT_EQ(
      metric_value(metrics, R"(courier_api_cache_fills_total{kind="timeline",result="filled"})"),
      static_cast<double>(followees.size()));
}

TEST_F(TimelineCacheTest, WritesDoNotKeepACoveredTimelineAlivePastItsTtl) {
  (void)env_.walk(hot_, false, 100);  // fills, with the TTL of a timeline
  Result<redis::Reply> before = env_.admin().command({"PTTL", timeline_key(hot_)});
  ASSERT_TRUE(before.ok() && before->integer() > 0) << before.status().to_string();
  ASSERT_TRUE(env_.service().create_post({hot_, "later"}).ok());
  Result<redis::Reply> after = env_.admin().command({"PTTL", timeline_key(hot_)});
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->integer(), 0);
  EXPECT_LE(after->integer(), before->integer()) << "the write must not extend the set's life";

  // A write to a timeline nobody has read makes a set without coverage, which expires too.
  std::int64_t quiet =
      env_.sql_ids("INSERT INTO users (username) VALUES ('quiet') RETURNING id", {})[0];
  ASSERT_TRUE(env_.service().create_post({quiet, "first"}).ok());
  Result<redis::Reply> ttl = env_.admin().command({"PTTL", timeline_key(quiet)});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer(), 0);
}

}  // namespace
}  // namespace courier::aggregator::test
