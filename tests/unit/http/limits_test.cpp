// The HTTP server against hostile clients, on real loopback sockets: huge bodies, endless
// headers, clients that trickle bytes, more connections than it admits, missing tokens.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"

namespace courier::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The peak resident set size of this process in MB since the last reset_peak_resident()
// (VmHWM of /proc/self/status): a body read whole and freed again still shows.
long peak_resident_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  return -1;
}
void reset_peak_resident() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// A raw client connection, for requests no well-behaved client library would send.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Everything the server sends until it closes or `timeout` passes.
  std::string read_until_closed(milliseconds timeout) {
    std::string received;
    auto deadline = Clock::now() + timeout;
    char buffer[4096];
    while (Clock::now() < deadline) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, 50) <= 0) continue;
      ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      received.append(buffer, static_cast<size_t>(got));
    }
    return received;
  }
  // True when the server closed the connection (EOF or reset) within `timeout`.
  bool closed_within(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    char buffer[4096];
    while (Clock::now() < deadline) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, 50) <= 0) continue;
      if (::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT) <= 0) return true;
    }
    return false;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

class HttpLimitsTest : public ::testing::Test {
 protected:
  void start(ServerOptions options) {
    options.port = 0;
    server = std::make_unique<HttpServer>(options);
    ASSERT_TRUE(server->start().ok());
  }
  int port() const { return server->port(); }

  std::unique_ptr<HttpServer> server;
};

// Runs `send(stopping)` on its own thread, as a hostile client, until it returns; the
// destructor asks it to stop and waits.
class HostileClient {
 public:
  explicit HostileClient(std::function<void(const std::atomic<bool>& stopping)> send)
      : thread_([this, send = std::move(send)] { send(stopping_); }) {}
  ~HostileClient() {
    stopping_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
};

// Sends `total` bytes of body (plain or chunked) while the server takes them.
std::function<void(const std::atomic<bool>&)> body_of(RawConnection& connection, size_t total,
                                                      bool chunked) {
  return [&connection, total, chunked](const std::atomic<bool>& stopping) {
    const std::string block(64 << 10, 'x');
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", block.size());
    for (size_t sent = 0; sent < total && !stopping; sent += block.size())
      if (!connection.send(chunked ? size_line + block + "\r\n" : block)) break;
  };
}

TEST_F(HttpLimitsTest, AHugeAnnouncedBodyIs413WithoutBeingRead) {
  start({.max_body_bytes = 1 << 20});
  reset_peak_resident();
  long before = peak_resident_mb();
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  const size_t huge = size_t{200} << 20;
  ASSERT_TRUE(connection.send(
      "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(huge) + "\r\n\r\n"));
  std::string response;
  {
    HostileClient streamer(body_of(connection, huge, false));
    response = connection.read_until_closed(milliseconds(10'000));
  }
  EXPECT_EQ(status_line(response), "HTTP/1.1 413 Payload Too Large") << response;
  EXPECT_NE(response.find(R"({"error":"request body larger than 1048576 bytes)"), std::string::npos)
      << response;
  EXPECT_LT(peak_resident_mb() - before, 20) << "peak RSS grew from " << before << " MB";
}

TEST_F(HttpLimitsTest, AHugeChunkedBodyIsCutOffAt413) {
  start({.max_body_bytes = 1 << 20});
  reset_peak_resident();
  long before = peak_resident_mb();
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(
      connection.send("POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string response;
  {
    HostileClient streamer(body_of(connection, size_t{200} << 20, true));
    response = connection.read_until_closed(milliseconds(10'000));
  }
  EXPECT_EQ(status_line(response), "HTTP/1.1 413 Payload Too Large") << response;
  EXPECT_LT(peak_resident_mb() - before, 20) << "peak RSS grew from " << before << " MB";
}

TEST_F(HttpLimitsTest, ABodyWithinTheLimitIsServed) {
  start({.max_body_bytes = 1 << 20});
  server->add_route(Method::kPost, "/echo", [](const Request& request) {
    return Response::json(200, {{"size", request.body.size()}});
  });
  httplib::Client client("127.0.0.1", port());
  auto response = client.Post("/echo", std::string(1 << 20, 'x'), "text/plain");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(nlohmann::json::parse(response->body)["size"], 1 << 20);
}

TEST_F(HttpLimitsTest, EndlessHeadersAre431) {
  start({.max_header_bytes = 8 << 10});
  RawConnection connection(port());
  std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2'000; ++i)
    request += "X-Filler-" + std::to_string(i) + ": " + std::string(50, 'y') + "\r\n";
  connection.send(request + "\r\n");
  std::string response = connection.read_until_closed(milliseconds(5'000));
  EXPECT_EQ(status_line(response), "HTTP/1.1 431 Request Header Fields Too Large") << response;
}

// Sends a request to each connection one byte every 200 ms: every read the server makes
// succeeds, but the request never completes.
std::function<void(const std::atomic<bool>&)> trickle_to(
    std::vector<std::unique_ptr<RawConnection>>& connections) {
  return [&connections](const std::atomic<bool>& stopping) {
    const std::string request = "GET /health HTTP/1.1\r\nX-Slow: " + std::string(1000, 'z');
    for (size_t at = 0; at < request.size() && !stopping; ++at) {
      for (auto& connection : connections) connection->send(request.substr(at, 1));
      std::this_thread::sleep_for(milliseconds(200));  // the attack's pace, not a wait
    }
  };
}

TEST_F(HttpLimitsTest, SlowClientsAreCutOffAndOthersAreStillServed) {
  start({.worker_threads = 3, .read_timeout = milliseconds(1'000)});
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 3; ++i) slow.push_back(std::make_unique<RawConnection>(port()));
  HostileClient trickler(trickle_to(slow));
  auto started = Clock::now();
  httplib::Client client("127.0.0.1", port());
  client.set_read_timeout(std::chrono::seconds(5));
  auto response = client.Get("/health");
  auto took = Clock::now() - started;
  ASSERT_TRUE(response) << "not served while slow clients held the workers";
  EXPECT_EQ(response->status, 200);
  EXPECT_LT(took, milliseconds(3'000));
  for (auto& connection : slow) EXPECT_TRUE(connection->closed_within(milliseconds(3'000)));
}

TEST_F(HttpLimitsTest, ConnectionsBeyondTheCapAre503AtOnceAndLaterOnesServed) {
  start({.worker_threads = 2, .max_connections = 2});
  auto held = std::vector<std::unique_ptr<RawConnection>>();
  for (int i = 0; i < 2; ++i) held.push_back(std::make_unique<RawConnection>(port()));
  RawConnection extra(port());
  auto started = Clock::now();
  extra.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string response = extra.read_until_closed(milliseconds(3'000));
  EXPECT_LT(Clock::now() - started, milliseconds(1'000));
  EXPECT_EQ(status_line(response), "HTTP/1.1 503 Service Unavailable") << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_NE(response.find(R"({"error":"too many connections; retry shortly"})"), std::string::npos);

  held.clear();
  httplib::Client client("127.0.0.1", port());
  auto deadline = Clock::now() + milliseconds(3'000);
  int status = 0;
  while (status != 200 && Clock::now() < deadline) {
    auto later = client.Get("/health");
    status = later ? later->status : 0;
  }
  EXPECT_EQ(status, 200);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(courier_http_rejected_total{reason="connections"})"),
            std::string::npos);
}

TEST_F(HttpLimitsTest, ARequiredTokenGuardsEveryRoute) {
  server = std::make_unique<HttpServer>(ServerOptions{.port = 0});
  server->require_token("s3cret");
  ASSERT_TRUE(server->start().ok());
  httplib::Client client("127.0.0.1", port());
  for (const char* path : {"/health", "/metrics", "/nope"}) {
    auto refused = client.Get(path);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401) << path;
    EXPECT_EQ(refused->body.find("s3cret"), std::string::npos);
  }
  auto wrong = client.Get("/health", {{"Authorization", "Bearer s3cre"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  httplib::Headers good = {{"Authorization", "Bearer s3cret"}};
  EXPECT_EQ(client.Get("/health", good)->status, 200);
  EXPECT_EQ(client.Get("/metrics", good)->status, 200);
}

TEST_F(HttpLimitsTest, WithoutARequiredTokenHealthAndMetricsAreOpen) {
  start({});
  httplib::Client client("127.0.0.1", port());
  EXPECT_EQ(client.Get("/health")->status, 200);
  EXPECT_EQ(client.Get("/metrics")->status, 200);
}

TEST(BearerToken, MatchesOnlyTheExactToken) {
  EXPECT_TRUE(bearer_token_matches("Bearer abc", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer ab", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer abcd", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer abcabc", "abc"));  // the repeated comparand
  EXPECT_FALSE(bearer_token_matches("bearer abc", "abc"));
  EXPECT_FALSE(bearer_token_matches("", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));  // no token configured: nothing matches
}

}  // namespace
}  // namespace courier::http
