// The HTTP server on a real loopback socket (no database or Redis needed).
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace courier::http {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.start().ok()); }
  httplib::Client client() { return httplib::Client("127.0.0.1", server.port()); }

  HttpServer server{ServerOptions{.port = 0}};
};

TEST_F(HttpServerTest, HealthIs200WhenEveryCheckIsHealthy) {
  server.health().add("postgres", [] { return HealthReport{true, "select 1 ok"}; });
  auto response = client().Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto body = nlohmann::json::parse(response->body);
  EXPECT_TRUE(body["healthy"].get<bool>());
  EXPECT_EQ(body["checks"]["postgres"]["detail"], "select 1 ok");
}

TEST_F(HttpServerTest, HealthIs503WhenOneCheckFailsOrThrows) {
  server.health().add("postgres", [] { return HealthReport{true, ""}; });
  server.health().add("redis", [] { return HealthReport{false, "connection refused"}; });
  server.health().add("broken", []() -> HealthReport {
    throw std::runtime_error("cannot reach postgres://app@db.internal:5432/shop");
  });
  auto response = client().Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  auto body = nlohmann::json::parse(response->body);
  EXPECT_FALSE(body["healthy"].get<bool>());
  EXPECT_FALSE(body["checks"]["redis"]["healthy"].get<bool>());
  EXPECT_EQ(body["checks"]["broken"]["detail"], "health check failed (details in the log)");
}

TEST_F(HttpServerTest, HealthRecoversWhenTheCheckRecovers) {
  bool redis_up = false;
  server.health().add("redis", [&] { return HealthReport{redis_up, ""}; });
  EXPECT_EQ(client().Get("/health")->status, 503);
  redis_up = true;
  EXPECT_EQ(client().Get("/health")->status, 200);
}

TEST_F(HttpServerTest, MetricsExposeWhatModulesRegister) {
  auto& family = prometheus::BuildCounter()
                     .Name("courier_test_events_total")
                     .Help("events seen by the test")
                     .Register(server.metrics());
  family.Add({{"stream", "orders"}}).Increment(3);
  auto response = client().Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("courier_test_events_total{stream=\"orders\"} 3"),
            std::string::npos)
      << response->body;
}

TEST_F(HttpServerTest, RoutesReceiveCapturesQueryAndBody) {
  server.add_route(Method::kPost, R"(/api/v1/users/(\d+)/posts)", [](const Request& request) {
    return Response::json(201, {{"user", request.captures.at(0)},
                                {"limit", request.query_value("limit")},
                                {"body", request.body}});
  });
  auto response = client().Post("/api/v1/users/42/posts?limit=7", "hello", "text/plain");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["user"], "42");
  EXPECT_EQ(body["limit"], "7");
  EXPECT_EQ(body["body"], "hello");
}

TEST_F(HttpServerTest, AHandlerThatThrowsGets500AndTheServerKeepsServing) {
  server.add_route(Method::kGet, "/explode",
                   [](const Request&) -> Response { throw std::runtime_error("bug"); });
  auto response = client().Get("/explode");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"], "internal error");
  EXPECT_EQ(client().Get("/metrics")->status, 200);
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  auto response = client().Get("/nope");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST_F(HttpServerTest, ABusyPortIsAClearErrorNamingTheAddress) {
  HttpServer second(ServerOptions{.port = server.port()});
  Status status = second.start();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("127.0.0.1:" + std::to_string(server.port())), std::string::npos)
      << status.message();
}

TEST_F(HttpServerTest, KeepAliveRequestsAreNotHeldBackByNagle) {
  // Without TCP_NODELAY each response's body waits for the client's delayed ACK of its
  // headers: 25-40 ms per request. Forty requests must take far less than 40 x 25 ms.
  httplib::Client keep_alive = client();
  keep_alive.set_keep_alive(true);
  ASSERT_TRUE(keep_alive.Get("/health"));  // connected
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(keep_alive.Get("/health"));
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, std::chrono::milliseconds(500))
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
}

TEST_F(HttpServerTest, OneKeepAliveConnectionServesManyRequests) {
  int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(socket_fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string request = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";
  int answered = 0;
  for (int i = 0; i < 50; ++i) {
    if (::send(socket_fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) break;
    std::string response;
    char buffer[4096];
    // Read one whole response: headers, then the body its Content-Length announces.
    size_t body_at = std::string::npos;
    size_t length = 0;
    while (body_at == std::string::npos || response.size() < body_at + length) {
      ssize_t got = ::recv(socket_fd, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      response.append(buffer, static_cast<size_t>(got));
      if (body_at == std::string::npos &&
          (body_at = response.find("\r\n\r\n")) != std::string::npos) {
        body_at += 4;
        size_t header = response.find("Content-Length: ");
        length = header < body_at ? std::stoul(response.substr(header + 16)) : 0;
      }
    }
    if (response.rfind("HTTP/1.1 200", 0) != 0) break;
    ++answered;
    if (response.find("Connection: close") != std::string::npos) break;
  }
  ::close(socket_fd);
  EXPECT_EQ(answered, 50) << "the server closed the connection after " << answered << " requests";
}

TEST_F(HttpServerTest, StopIsIdempotent) {
  server.stop();
  server.stop();
  EXPECT_FALSE(client().Get("/health"));
}

}  // namespace
}  // namespace courier::http
