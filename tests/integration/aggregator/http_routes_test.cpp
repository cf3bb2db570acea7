// Every route over HTTP: what it answers for good input, and a 4xx with a JSON error body
// (never a 500, never a crash) for every kind of bad input.
#include <gtest/gtest.h>
#include <httplib.h>

#include "aggregator/query_api.h"
#include "api_test_support.h"
#include "http/server.h"

namespace courier::aggregator::test {
namespace {

using courier::testing::shared_cluster;

class HttpRoutesTest : public ::testing::Test {
 protected:
  void start(ApiConfig api) {
    env_ = std::make_unique<ApiEnvironment>(&shared_cluster(), api);
    data_ = env_->generate({.users = 5, .posts = 40, .follows = 8, .seed = 3});
    server_ = std::make_unique<http::HttpServer>(
        http::ServerOptions{.port = 0},
        std::shared_ptr<prometheus::Registry>(&env_->registry(), [](auto*) {}));
    api_ = std::make_unique<QueryApi>(env_->service());
    api_->attach(*server_);
    Status started = server_->start();
    ASSERT_TRUE(started.ok()) << started.to_string();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  httplib::Result send(const std::string& method, const std::string& path,
                       const std::string& body = "", const httplib::Headers& headers = {}) {
    if (method == "GET") return client_->Get(path, headers);
    return client_->Post(path, headers, body, "application/json");
  }

  std::unique_ptr<ApiEnvironment> env_;
  DatagenReport data_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<QueryApi> api_;
  std::unique_ptr<httplib::Client> client_;
};

struct BadInput {
  const char* method;
  const char* path;
  const char* body;
  int status;
  const char* error_mentions;
};

TEST_F(HttpRoutesTest, BadInputGetsA4xxWithAJsonErrorOnEveryRoute) {
  start(ApiConfig{});
  const BadInput cases[] = {
      {"GET", "/api/v1/users/abc", "", 400, "user id"},
      {"GET", "/api/v1/users/0", "", 400, "user id"},
      {"GET", "/api/v1/users/-1", "", 400, "user id"},
      {"GET", "/api/v1/users/99999999999999999999", "", 400, "user id"},
      {"GET", "/api/v1/users/999999", "", 404, "does not exist"},
      {"GET", "/api/v1/users/1/posts?limit=0", "", 400, "limit"},
      {"GET", "/api/v1/users/1/posts?limit=-1", "", 400, "limit"},
      {"GET", "/api/v1/users/1/posts?limit=101", "", 400, "limit"},
      {"GET", "/api/v1/users/1/posts?limit=abc", "", 400, "limit"},
      {"GET", "/api/v1/users/1/posts?offset=-5", "", 400, "offset"},
      {"GET", "/api/v1/users/1/posts?cursor=garbage", "", 400, "cursor"},
      {"GET", "/api/v1/users/1/posts?cursor=1.2&offset=3", "", 400, "either"},
      {"GET", "/api/v1/users/1/posts?limt=5", "", 400, "limt"},
      {"GET", "/api/v1/users/x/posts", "", 400, "user id"},
      {"GET", "/api/v1/users/999999/posts", "", 404, "does not exist"},
      {"GET", "/api/v1/users/1/feed?limit=0", "", 400, "limit"},
      {"GET", "/api/v1/users/1/feed?limit=1000", "", 400, "limit"},
      {"GET", "/api/v1/users/x/feed", "", 400, "user id"},
      {"GET", "/api/v1/users/999999/feed", "", 404, "does not exist"},
      {"GET", "/api/v1/posts/abc", "", 400, "post id"},
      {"GET", "/api/v1/posts/999999", "", 404, "does not exist"},
      {"POST", "/api/v1/users", "{not json", 400, "not valid JSON"},
      {"POST", "/api/v1/users", "[1, 2]", 400, "JSON object"},
      {"POST", "/api/v1/users", "{}", 400, "username"},
      {"POST", "/api/v1/users", R"({"username": "user_1"})", 409, "taken"},
      {"POST", "/api/v1/posts", R"({"user_id": 999999, "content": "x"})", 404, "does not exist"},
      {"POST", "/api/v1/posts", R"({"user_id": "1", "content": "x"})", 400, "user_id"},
      {"POST", "/api/v1/posts", R"({"user_id": 1})", 400, "content"},
      {"POST", "/api/v1/posts", "", 400, "not valid JSON"},
      {"POST", "/api/v1/users/1/follow", R"({"followee_id": 1})", 400, "themselves"},
      {"POST", "/api/v1/users/1/follow", R"({"followee_id": 999999})", 404, "does not exist"},
      {"POST", "/api/v1/users/999999/follow", R"({"followee_id": 1})", 404, "does not exist"},
      {"POST", "/api/v1/users/abc/follow", R"({"followee_id": 2})", 400, "user id"},
      {"POST", "/api/v1/users/1/follow", R"({"followee": 2})", 400, "followee"},
  };
  for (const BadInput& bad : cases) {
    httplib::Result response = send(bad.method, bad.path, bad.body);
    ASSERT_TRUE(response) << bad.method << " " << bad.path << ": no answer";
    EXPECT_EQ(response->status, bad.status)
        << bad.method << " " << bad.path << ": " << response->body;
    nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << bad.path << ": " << response->body;
    EXPECT_NE(body["error"].get<std::string>().find(bad.error_mentions), std::string::npos)
        << bad.method << " " << bad.path << ": " << body["error"];
  }
  // Still serving after all that.
  httplib::Result ping = send("GET", "/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(nlohmann::json::parse(ping->body)["message"], "pong");
}

TEST_F(HttpRoutesTest, EveryRouteAnswersGoodInput) {
  start(ApiConfig{});
  httplib::Result user = send("POST", "/api/v1/users", R"({"username": "alice"})");
  ASSERT_TRUE(user);
  ASSERT_EQ(user->status, 201) << user->body;
  std::int64_t alice = nlohmann::json::parse(user->body)["id"].get<std::int64_t>();
  httplib::Result fetched = send("GET", "/api/v1/users/" + std::to_string(alice));
  ASSERT_TRUE(fetched);
  EXPECT_EQ(nlohmann::json::parse(fetched->body)["username"], "alice");

  httplib::Result post = send(
      "POST", "/api/v1/posts",
      R"({"user_id": )" + std::to_string(data_.first_user_id) + R"(, "content": "hello \u00e9"})");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 201) << post->body;
  std::int64_t post_id = nlohmann::json::parse(post->body)["id"].get<std::int64_t>();
  httplib::Result read = send("GET", "/api/v1/posts/" + std::to_string(post_id));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(nlohmann::json::parse(read->body)["content"], "hello \u00e9");

  httplib::Result follow = send("POST", "/api/v1/users/" + std::to_string(alice) + "/follow",
                                R"({"followee_id": )" + std::to_string(data_.first_user_id) + "}");
  ASSERT_TRUE(follow);
  EXPECT_EQ(follow->status, 200) << follow->body;
  httplib::Result feed = send("GET", "/api/v1/users/" + std::to_string(alice) + "/feed?limit=2");
  ASSERT_TRUE(feed);
  ASSERT_EQ(feed->status, 200) << feed->body;
  nlohmann::json page = nlohmann::json::parse(feed->body);
  EXPECT_EQ(page["posts"][0]["id"], post_id);
  EXPECT_TRUE(page["has_more"].get<bool>());
  httplib::Result next =
      send("GET", "/api/v1/users/" + std::to_string(alice) +
                      "/feed?limit=2&cursor=" + page["next_cursor"].get<std::string>());
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  httplib::Result posts = send(
      "GET", "/api/v1/users/" + std::to_string(data_.first_user_id) + "/posts?limit=3&offset=1");
  ASSERT_TRUE(posts);
  EXPECT_EQ(nlohmann::json::parse(posts->body)["posts"].size(), 3u);
  // Latency per route lands in /metrics.
  httplib::Result metrics = send("GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(courier_api_request_seconds_count{route="feed"})"),
            std::string::npos);
}

TEST_F(HttpRoutesTest, WithATokenWritesNeedIt) {
  ApiConfig api;
  api.auth_token = "s3cret";
  start(api);
  httplib::Result refused = send("POST", "/api/v1/users", R"({"username": "bob"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  httplib::Result wrong =
      send("POST", "/api/v1/users", R"({"username": "bob"})", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  httplib::Result accepted =
      send("POST", "/api/v1/users", R"({"username": "bob"})", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 201) << accepted->body;
  httplib::Result read = send("GET", "/api/v1/users/1");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
}

}  // namespace
}  // namespace courier::aggregator::test
