// The query API through the `courier` binary: `courier run` with an `api:` section serves
// the routes, `courier datagen` fills the tables it reads, bad input gets a 4xx with a JSON
// error, and SIGTERM still stops the process cleanly.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>

#include "courier_process.h"

namespace courier::testing {
namespace {

struct HttpAnswer {
  int status = -1;
  std::string body;
};

HttpAnswer http(CourierProcess& courier, const std::string& method, const std::string& path,
                const std::string& body = "") {
  httplib::Client client("127.0.0.1", courier.http_port());
  client.set_read_timeout(10, 0);
  auto response = method == "POST" ? client.Post(path.c_str(), body, "application/json")
                                   : client.Get(path.c_str());
  if (!response) return {};
  return {response->status, response->body};
}

TEST(CourierQueryApi, ServesFeedsFromDatagenDataAndAnswersBadInputWithJsonErrors) {
  PostgresServer& pg = shared_postgres();
  CourierProcess courier(pg, pg.create_database("api"), shared_redis(), "api: {}\n");
  ASSERT_TRUE(courier.wait_for_health(200)) << courier.log();

  CommandOutput datagen =
      run_command({COURIER_BINARY, "datagen", "-c", courier.config_path(), "--users", "50",
                   "--posts", "500", "--follows", "300", "--seed", "7"},
                  "", 120s);
  ASSERT_EQ(datagen.exit_code, 0) << datagen.output;

  // Every user follows someone: find a feed with posts, then check its order and its size.
  nlohmann::json page;
  for (int user = 1; user <= 50 && !page.contains("posts"); ++user) {
    HttpAnswer feed = http(courier, "GET", "/api/v1/users/" + std::to_string(user) +
                                               "/feed?limit=5");
    ASSERT_EQ(feed.status, 200) << feed.body;
    nlohmann::json candidate = nlohmann::json::parse(feed.body);
    if (!candidate["posts"].empty()) page = candidate;
  }
  ASSERT_TRUE(page.contains("posts")) << "no user's feed had posts";
  ASSERT_LE(page["posts"].size(), 5u);
  for (size_t i = 1; i < page["posts"].size(); ++i) {
    EXPECT_GE(page["posts"][i - 1]["created_us"].get<int64_t>(),
              page["posts"][i]["created_us"].get<int64_t>())
        << "newest first";
  }

  struct BadRequest {
    std::string method, path, body;
    int status;
  };
  for (const BadRequest& bad : {
           BadRequest{"GET", "/api/v1/users/abc", "", 400},
           BadRequest{"GET", "/api/v1/users/1/posts?limit=0", "", 400},
           BadRequest{"GET", "/api/v1/users/1/feed?limit=101", "", 400},
           BadRequest{"GET", "/api/v1/users/999999", "", 404},
           BadRequest{"POST", "/api/v1/posts", "{not json", 400},
       }) {
    HttpAnswer answer = http(courier, bad.method, bad.path, bad.body);
    EXPECT_EQ(answer.status, bad.status) << bad.method << " " << bad.path << ": " << answer.body;
    EXPECT_TRUE(nlohmann::json::parse(answer.body, nullptr, false).contains("error"))
        << bad.path << ": " << answer.body;
  }
  EXPECT_EQ(exit_code_after(courier.process(), SIGTERM), 0) << courier.log();
}

}  // namespace
}  // namespace courier::testing
