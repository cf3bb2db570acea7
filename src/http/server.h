// The one HTTP server of a courier process: GET /health and GET /metrics built in;
// modules register their own routes, health checks and Prometheus metrics on it.
//
//   HttpServer server({.host = "127.0.0.1", .port = 8080});
//   server.add_route(Method::kGet, R"(/api/v1/users/(\d+))", handle_user);
//   if (Status s = server.start(); !s.ok()) fail(s);   // serves on its own threads
//
// Every request is bounded (ServerOptions: body, headers, read time, connections): a
// hostile client gets 413/431/408/503 and costs neither memory nor a worker for long.
// Thread-safety: register routes before start(); health(), metrics() and stop() may be
// used from any thread. Handlers run on the server's worker threads, concurrently.
#pragma once

#include <prometheus/registry.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "courier/status.h"
#include "http/health.h"

namespace prometheus {
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace courier::http {

class BoundedServer;

enum class Method { kGet, kPost, kPut, kDelete };

struct Request {
  Method method = Method::kGet;
  std::string path;
  std::vector<std::string> captures;              // regex groups of the route pattern
  std::multimap<std::string, std::string> query;  // ?limit=10&cursor=...
  std::multimap<std::string, std::string> headers;
  std::string body;

  // First value of a query parameter, or empty when absent.
  std::string query_value(const std::string& name) const;
  bool has_query(const std::string& name) const { return query.count(name) > 0; }
  // First value of a header (case-insensitive name), or empty when absent.
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";

  static Response json(int status, const nlohmann::json& body);
  // {"error": message} with the given status, for every 4xx/5xx answer.
  static Response error(int status, const std::string& message);
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless the operator says otherwise
  int port = 8080;                 // 0 picks a free port (see HttpServer::port())
  // Connections served at once: a worker keeps a connection while its client keeps it
  // alive (up to 100 requests, or 5 s idle), so a keep-alive client holds a worker.
  int worker_threads = 32;
  // Connections admitted at once, served or waiting for a worker; the next one is answered
  // 503 {"error"} with Connection: close at once instead of queueing without bound.
  int max_connections = 256;
  std::size_t max_body_bytes = 1 << 20;     // larger bodies: 413, never read into memory
  std::size_t max_header_bytes = 64 << 10;  // request line + headers; larger: 431
  // A request (line, headers, body) must arrive within this of its first byte, else 408
  // and the connection is closed: a client trickling bytes cannot keep a worker.
  std::chrono::milliseconds read_timeout{10'000};
};

// Whether an Authorization header value is "Bearer <token>", compared in constant time:
// the time taken says nothing about the token, its length included.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options,
                      std::shared_ptr<prometheus::Registry> metrics = nullptr);
  ~HttpServer();  // stops the server
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a route; `pattern` is a regular expression matched against the whole path.
  void add_route(Method method, const std::string& pattern, Handler handler);
  // From now on every route, /health and /metrics included, needs
  // "Authorization: Bearer <token>" (401 otherwise). Call before start().
  void require_token(std::string token) { required_token_ = std::move(token); }
  HealthRegistry& health() { return health_; }
  prometheus::Registry& metrics() { return *metrics_; }
  std::shared_ptr<prometheus::Registry> metrics_registry() const { return metrics_; }

  // Binds and serves on background threads. Fails (kUnavailable) when the address is
  // in use or cannot be bound, with the address in the message.
  Status start();
  // Stops accepting, lets running handlers finish, joins. Idempotent.
  void stop();
  // The port actually bound (useful when the options asked for port 0).
  int port() const { return bound_port_; }

 private:
  void add_builtin_routes();
  std::string render_metrics() const;

  ServerOptions options_;
  std::shared_ptr<prometheus::Registry> metrics_;
  prometheus::Family<prometheus::Counter>* rejected_ = nullptr;
  HealthRegistry health_;
  std::string required_token_;
  std::unique_ptr<BoundedServer> server_;
  std::thread listener_;
  int bound_port_ = 0;
};

}  // namespace courier::http
