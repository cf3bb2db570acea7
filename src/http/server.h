// The one HTTP server of a courier process: GET /health and GET /metrics built in;
// modules register their own routes, health checks and Prometheus metrics on it.
//
//   HttpServer server({.host = "127.0.0.1", .port = 8080});
//   server.add_route(Method::kGet, R"(/api/v1/users/(\d+))", handle_user);
//   if (Status s = server.start(); !s.ok()) fail(s);   // serves on its own threads
//
// Thread-safety: register routes before start(); health(), metrics() and stop() may be
// used from any thread. Handlers run on the server's worker threads, concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/registry.h>

#include "courier/status.h"
#include "http/health.h"

namespace httplib {
class Server;
}

namespace courier::http {

enum class Method { kGet, kPost, kPut, kDelete };

struct Request {
  Method method = Method::kGet;
  std::string path;
  std::vector<std::string> captures;             // regex groups of the route pattern
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
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options,
                      std::shared_ptr<prometheus::Registry> metrics = nullptr);
  ~HttpServer();  // stops the server
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a route; `pattern` is a regular expression matched against the whole path.
  void add_route(Method method, const std::string& pattern, Handler handler);
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
  HealthRegistry health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  int bound_port_ = 0;
};

}  // namespace courier::http
