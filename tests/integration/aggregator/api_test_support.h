// Shared set-up for the query API's integration tests: a fresh database with the social
// schema, a flushed Redis Cluster, a SocialService over both, and the SQL that a page
// must equal.
//
//   ApiEnvironment env = ApiEnvironment::start(shared_cluster(), configure);
//   std::vector<std::int64_t> ids = env.walk(7, /*feed=*/true, /*limit=*/5);
//   EXPECT_EQ(ids, env.sql_ids("SELECT id FROM posts WHERE user_id = 7 ORDER BY ..."));
//
// Thread-safety: test code; one thread at a time.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/social_datagen.h"
#include "aggregator/social_schema.h"
#include "aggregator/social_service.h"
#include "aggregator/timeline_cache.h"
#include "pg/connection.h"
#include "redis/cluster_client.h"
#include "poll_until.h"
#include "servers.h"

namespace courier::aggregator::test {

using namespace std::chrono_literals;

using courier::testing::poll_until;

inline redis::ClientOptions cluster_options(courier::testing::RedisCluster& cluster) {
  redis::ClientOptions options;
  options.nodes = cluster.node_addresses();
  options.topology = redis::Topology::kCluster;
  options.connection.connect_timeout = 300ms;
  options.connection.socket_timeout = 1s;
  return options;
}

inline std::unique_ptr<pg::Connection> open_postgres(const pg::ConnectionOptions& options) {
  Result<std::unique_ptr<pg::Connection>> connection = pg::Connection::open(options);
  if (!connection.ok()) {
    ADD_FAILURE() << connection.status().to_string();
    return nullptr;
  }
  return std::move(*connection);
}

inline std::string scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// The value of one series in a scrape ("" when absent), e.g.
// metric_value(text, R"(courier_api_cache_total{kind="timeline",result="hit"})").
inline double metric_value(const std::string& text, const std::string& series) {
  size_t at = text.find(series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 1));
}

class ApiEnvironment {
 public:
  // A new database with the schema; the cluster (when given) flushed; the service built
  // from `api` (defaults with the cache on).
  ApiEnvironment(courier::testing::RedisCluster* cluster, ApiConfig api,
                 ClockPtr clock = system_clock()) {
    courier::testing::PostgresServer& server = courier::testing::shared_postgres();
    postgres_ = *pg::ConnectionOptions::from_url(server.url(server.create_database("api")));
    connection_ = open_postgres(postgres_);
    Status schema = apply_social_schema(*connection_);
    EXPECT_TRUE(schema.ok()) << schema.to_string();
    ServiceOptions options{.api = api, .postgres = postgres_, .clock = std::move(clock)};
    if (cluster) {
      redis_ = cluster_options(*cluster);
      Result<std::unique_ptr<redis::ClusterClient>> client = redis::ClusterClient::create(redis_);
      EXPECT_TRUE(client.ok());
      admin_ = std::move(*client);
      for (const Result<redis::Reply>& flushed : admin_->on_every_master({"FLUSHALL"}))
        EXPECT_TRUE(flushed.ok()) << flushed.status().to_string();
      options.redis = redis_;
    }
    service_ = std::make_unique<SocialService>(options, registry_);
  }

  SocialService& service() { return *service_; }
  pg::Connection& sql() { return *connection_; }
  const pg::ConnectionOptions& postgres_options() const { return postgres_; }
  redis::ClusterClient& admin() { return *admin_; }
  prometheus::Registry& registry() { return registry_; }
  std::string metrics() { return scrape(registry_); }

  DatagenReport generate(DatagenOptions options) {
    Result<DatagenReport> report = generate_social_data(*connection_, options);
    EXPECT_TRUE(report.ok()) << report.status().to_string();
    return report.ok() ? *report : DatagenReport{};
  }

  // The ids a query returns, in its order.
  std::vector<std::int64_t> sql_ids(const std::string& query, const pg::Params& params) {
    std::vector<std::int64_t> ids;
    Result<pg::QueryResult> rows = connection_->execute(query, params);
    EXPECT_TRUE(rows.ok()) << rows.status().to_string();
    if (!rows.ok()) return ids;
    for (const pg::Row& row : *rows) ids.push_back(std::stoll(std::string(*row.get(0))));
    return ids;
  }
  std::vector<std::int64_t> sql_user_posts(std::int64_t user) {
    return sql_ids("SELECT id FROM posts WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
                   {std::to_string(user)});
  }
  std::vector<std::int64_t> sql_feed(std::int64_t user) {
    return sql_ids(
        "SELECT p.id FROM posts p JOIN follows f ON f.followee_id = p.user_id "
        "WHERE f.follower_id = $1 ORDER BY p.created_at DESC, p.id DESC",
        {std::to_string(user)});
  }

  // One page as parsed JSON; fails the test on an error.
  nlohmann::json page(std::int64_t user, bool feed, PageRequest request) {
    Result<std::string> body =
        feed ? service_->feed(user, request) : service_->user_posts(user, request);
    EXPECT_TRUE(body.ok()) << body.status().to_string();
    // A miss is filled off the request path: the next page sees the cache it leaves.
    EXPECT_TRUE(service_->wait_for_fills(std::chrono::seconds(10))) << "cache fills never ended";
    return body.ok() ? nlohmann::json::parse(*body) : nlohmann::json::object();
  }

  // Every post of a timeline or feed, page by page following next_cursor (or offsets).
  std::vector<std::int64_t> walk(std::int64_t user, bool feed, size_t limit,
                                 bool by_offset = false) {
    std::vector<std::int64_t> ids;
    PageRequest request{.limit = limit};
    for (int pages = 0; pages < 10'000; ++pages) {
      nlohmann::json body = page(user, feed, request);
      if (!body.contains("posts")) break;
      for (const nlohmann::json& post : body["posts"])
        ids.push_back(post["id"].get<std::int64_t>());
      if (!body["has_more"].get<bool>()) {
        EXPECT_FALSE(body.contains("next_cursor"));
        break;
      }
      EXPECT_EQ(body["posts"].size(), limit) << "a page with more to come must be full";
      if (by_offset) {
        request.offset += limit;
        if (request.offset > kMaxPageOffset) break;
      } else {
        request.after = *decode_cursor(body["next_cursor"].get<std::string>());
      }
    }
    return ids;
  }

 private:
  pg::ConnectionOptions postgres_;
  std::unique_ptr<pg::Connection> connection_;
  redis::ClientOptions redis_;
  std::unique_ptr<redis::ClusterClient> admin_;
  prometheus::Registry registry_;
  std::unique_ptr<SocialService> service_;
};

}  // namespace courier::aggregator::test
