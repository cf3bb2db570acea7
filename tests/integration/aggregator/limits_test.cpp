// The API's answers when a dependency is sick or a request is too wide: error bodies that
// name no host, user, database or SQL; feeds over api.max_fanout answered exactly, from
// Postgres, without the fan-out.
#include <gtest/gtest.h>
#include <httplib.h>

#include "aggregator/query_api.h"
#include "api_test_support.h"
#include "http/server.h"

namespace courier::aggregator::test {
namespace {

using courier::testing::shared_cluster;
using courier::testing::shared_postgres;

// The query API over a Postgres it cannot use, on a real HTTP server.
class SickPostgresApi {
 public:
  explicit SickPostgresApi(pg::ConnectionOptions postgres)
      : service_(ServiceOptions{.api = ApiConfig{.pool_wait = 500ms}, .postgres = postgres},
                 registry_),
        server_(http::ServerOptions{.port = 0},
                std::shared_ptr<prometheus::Registry>(&registry_, [](auto*) {})),
        api_(service_) {
    api_.attach(server_);
    EXPECT_TRUE(server_.start().ok());
  }
  httplib::Client client() { return httplib::Client("127.0.0.1", server_.port()); }

 private:
  prometheus::Registry registry_;
  SocialService service_;
  http::HttpServer server_;
  QueryApi api_;
};

void expect_nothing_leaks(const std::string& body, const pg::ConnectionOptions& postgres) {
  for (const std::string& secret : {postgres.host, std::to_string(postgres.port), postgres.user,
                                    postgres.dbname, std::string("SELECT"), std::string("INSERT")})
    EXPECT_EQ(body.find(secret), std::string::npos) << "'" << secret << "' in " << body;
}

// `unreachable`: the server does not answer at all, so the error must say "unavailable".
void expect_5xx_without_details(const pg::ConnectionOptions& postgres, bool unreachable) {
  SickPostgresApi api(postgres);
  httplib::Client client = api.client();
  std::vector<httplib::Result> answers;
  answers.push_back(client.Get("/api/v1/users/1/feed"));
  answers.push_back(client.Get("/api/v1/users/1"));
  answers.push_back(client.Post("/api/v1/users", R"({"username":"ann"})", "application/json"));
  for (const httplib::Result& answer : answers) {
    ASSERT_TRUE(answer);
    EXPECT_GE(answer->status, 500) << answer->body;
    std::string error = nlohmann::json::parse(answer->body)["error"].get<std::string>();
    if (unreachable) {
      EXPECT_EQ(answer->status, 503);
      EXPECT_NE(error.find("postgres unavailable"), std::string::npos) << error;
    }
    expect_nothing_leaks(answer->body, postgres);
  }
}

TEST(ApiErrors, PostgresDownGives503NamingNoHostUserOrDatabase) {
  pg::ConnectionOptions stopped;  // nothing listens on port 1: as a stopped server
  stopped.host = "127.0.0.1";
  stopped.port = 1;
  stopped.user = "leaky_user";
  stopped.dbname = "leaky_database";
  stopped.connect_timeout = 1s;
  expect_5xx_without_details(stopped, true);
}

TEST(ApiErrors, APostgresRefusingTheDatabaseGives503NamingNoneOfIt) {
  courier::testing::PostgresServer& server = shared_postgres();
  pg::ConnectionOptions refused = *pg::ConnectionOptions::from_url(server.url("leaky_database"));
  refused.user = "leaky_user";
  // Postgres itself answers: role "leaky_user" does not exist.
  expect_5xx_without_details(refused, false);
}

// An environment over generated data, and a user there who follows more than two.
std::int64_t start_with_a_wide_follower(std::unique_ptr<ApiEnvironment>& env, ApiConfig api) {
  env = std::make_unique<ApiEnvironment>(&shared_cluster(), api);
  env->generate({.users = 8, .posts = 80, .follows = 30, .seed = 5});
  std::vector<std::int64_t> wide = env->sql_ids(
      "SELECT follower_id FROM follows GROUP BY follower_id HAVING count(*) > 2 "
      "ORDER BY follower_id LIMIT 1",
      {});
  EXPECT_EQ(wide.size(), 1u) << "the generated data has no user following more than 2";
  return wide.empty() ? 0 : wide[0];
}

TEST(ApiLimits, AFeedOverMaxFanoutIsAnsweredExactlyFromPostgres) {
  std::unique_ptr<ApiEnvironment> env;
  std::int64_t user = start_with_a_wide_follower(env, ApiConfig{.max_fanout = 2});
  EXPECT_EQ(env->walk(user, true, 5), env->sql_feed(user));
  std::string metrics = env->metrics();
  EXPECT_GT(metric_value(metrics, R"(courier_api_degraded_total{reason="fanout_over_cap"})"), 0)
      << metrics;
  EXPECT_EQ(metric_value(metrics, R"(courier_api_cache_total{kind="timeline",result="miss"})"), 0);
  EXPECT_EQ(metric_value(metrics, R"(courier_api_cache_total{kind="timeline",result="hit"})"), 0);
}

TEST(ApiLimits, AFeedWithinMaxFanoutStillFansOut) {
  std::unique_ptr<ApiEnvironment> env;
  std::int64_t user = start_with_a_wide_follower(env, ApiConfig{.max_fanout = 1'000});
  EXPECT_EQ(env->walk(user, true, 5), env->sql_feed(user));
  EXPECT_EQ(metric_value(env->metrics(), R"(courier_api_degraded_total{reason="fanout_over_cap"})"),
            0);
}

TEST(ApiAuth, AuthAllRoutesPutsHealthAndMetricsBehindTheToken) {
  ApiConfig api;
  api.auth_token = "s3cret";
  api.auth_all_routes = true;
  http::HttpServer server(http::ServerOptions{.port = 0});
  courier::testing::PostgresServer& postgres = shared_postgres();
  std::string database = postgres.create_database("auth");
  auto query_api =
      std::make_unique<QueryApi>(api, *pg::ConnectionOptions::from_url(postgres.url(database)),
                                 cluster_options(shared_cluster()));
  query_api->attach(server);
  ASSERT_TRUE(query_api->start().ok());
  ASSERT_TRUE(server.start().ok());
  httplib::Client client("127.0.0.1", server.port());
  for (const char* path : {"/health", "/metrics", "/ping"}) {
    auto refused = client.Get(path);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401) << path;
    auto allowed = client.Get(path, {{"Authorization", "Bearer s3cret"}});
    ASSERT_TRUE(allowed);
    EXPECT_EQ(allowed->status, 200) << path << ": " << allowed->body;
  }
  query_api->stop();
  server.stop();
}

}  // namespace
}  // namespace courier::aggregator::test
