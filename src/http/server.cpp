#include "http/server.h"

#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>

#include "http/bounded_server.h"

namespace courier::http {
namespace {

Request to_request(const httplib::Request& in, Method method) {
  Request out;
  out.method = method;
  out.path = in.path;
  for (size_t i = 1; i < in.matches.size(); ++i) out.captures.push_back(in.matches[i].str());
  out.query.insert(in.params.begin(), in.params.end());
  out.headers.insert(in.headers.begin(), in.headers.end());
  out.body = in.body;
  return out;
}

void write_response(const Response& response, httplib::Response& out) {
  out.status = response.status;
  out.set_content(response.body, response.content_type.c_str());
}

// Runs a handler so that nothing it does can take the server down: an exception
// becomes a 500 with a JSON body and a log line.
httplib::Server::Handler guarded(Method method, Handler handler) {
  return
      [method, handler = std::move(handler)](const httplib::Request& in, httplib::Response& out) {
        try {
          write_response(handler(to_request(in, method)), out);
        } catch (const std::exception& error) {
          spdlog::error("http: handler for {} failed: {}", in.path, error.what());
          write_response(Response::error(500, "internal error"), out);
        }
      };
}

std::string_view rejection_reason(Rejection why) {
  switch (why) {
    case Rejection::kConnections:
      return "connections";
    case Rejection::kBody:
      return "body_too_large";
    case Rejection::kHeaders:
      return "headers_too_large";
    case Rejection::kTimeout:
      return "read_timeout";
  }
  return "unknown";
}

// Hostile or overloading clients can be many: one warning a second at most.
void warn_rejected(Rejection why) {
  static std::atomic<std::int64_t> last_warned{0};
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
  std::int64_t last = last_warned.load();
  if (now != last && last_warned.compare_exchange_strong(last, now))
    spdlog::warn("http: refused a request or connection ({}); see courier_http_rejected_total",
                 rejection_reason(why));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string Request::query_value(const std::string& name) const {
  auto found = query.find(name);
  return found == query.end() ? std::string() : found->second;
}

std::string Request::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty()) return false;
  // Every byte of what the client sent is compared against the token, repeated: the time
  // depends on the client's input only, never on the token's length or content.
  std::string expected = std::string(kScheme) + std::string(token);
  unsigned char difference = authorization.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < authorization.size(); ++i)
    difference |= static_cast<unsigned char>(authorization[i] ^ expected[i % expected.size()]);
  return difference == 0;
}

Response Response::json(int status, const nlohmann::json& body) {
  return Response{status, body.dump(), "application/json"};
}

Response Response::error(int status, const std::string& message) {
  return json(status, {{"error", message}});
}

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<prometheus::Registry> metrics)
    : options_(std::move(options)),
      metrics_(metrics ? std::move(metrics) : std::make_shared<prometheus::Registry>()),
      rejected_(&prometheus::BuildCounter()
                     .Name("courier_http_rejected_total")
                     .Help("Connections and requests refused by the HTTP server's limits")
                     .Register(*metrics_)) {
  RequestLimits limits{.max_body_bytes = options_.max_body_bytes,
                       .max_header_bytes = options_.max_header_bytes,
                       .read_timeout = options_.read_timeout};
  server_ = std::make_unique<BoundedServer>(limits, [this](Rejection why) {
    rejected_->Add({{"reason", std::string(rejection_reason(why))}}).Increment();
    warn_rejected(why);
  });
  size_t workers = static_cast<size_t>(std::max(1, options_.worker_threads));
  size_t admitted = static_cast<size_t>(std::max(1, options_.max_connections));
  server_->new_task_queue = [workers, admitted] { return new AdmissionQueue(workers, admitted); };
  // Before any body is read: the token (when every route needs it), the announced length.
  server_->set_pre_routing_handler([this](const httplib::Request& in, httplib::Response& out) {
    if (!required_token_.empty() &&
        !bearer_token_matches(in.get_header_value("Authorization"), required_token_)) {
      return BoundedServer::refuse(out, 401, "this server needs 'Authorization: Bearer <token>'");
    }
    return server_->check_announced_length(in, out);
  });
  // httplib's default also sets SO_REUSEPORT, which would let a second courier bind the
  // same port and silently take half the requests; a busy port must be an error.
  server_->set_socket_options([](int socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // A response goes out as headers then body; with Nagle's algorithm the body waits for
  // the client's delayed ACK of the headers: tens of ms on every keep-alive request.
  server_->set_tcp_nodelay(true);
  // httplib closes a keep-alive connection after 5 requests; reconnecting that often costs
  // more than serving the request from the near cache.
  server_->set_keep_alive_max_count(100);
  add_builtin_routes();
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::add_route(Method method, const std::string& pattern, Handler handler) {
  auto wrapped = guarded(method, std::move(handler));
  switch (method) {
    case Method::kGet:
      server_->Get(pattern, wrapped);
      break;
    case Method::kPost:
      server_->Post(pattern, wrapped);
      break;
    case Method::kPut:
      server_->Put(pattern, wrapped);
      break;
    case Method::kDelete:
      server_->Delete(pattern, wrapped);
      break;
  }
}

void HttpServer::add_builtin_routes() {
  add_route(Method::kGet, "/health", [this](const Request&) {
    nlohmann::json report = health_.report();
    return Response::json(report["healthy"].get<bool>() ? 200 : 503, report);
  });
  add_route(Method::kGet, "/metrics", [this](const Request&) {
    return Response{200, render_metrics(), "text/plain; version=0.0.4"};
  });
}

std::string HttpServer::render_metrics() const {
  return prometheus::TextSerializer().Serialize(metrics_->Collect());
}

Status HttpServer::start() {
  std::string address = options_.host + ":" + std::to_string(options_.port);
  if (options_.port == 0) {
    bound_port_ = server_->bind_to_any_port(options_.host);
  } else if (server_->bind_to_port(options_.host, options_.port)) {
    bound_port_ = options_.port;
  } else {
    bound_port_ = -1;
  }
  if (bound_port_ <= 0) {
    return Status(StatusCode::kUnavailable,
                  "cannot listen on " + address +
                      " (in use by another process, or not an address of this machine); "
                      "set http.listen to a free address");
  }
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() only interrupts a server that is already running: wait until it is, so a
  // stop right after start cannot be lost.
  while (!server_->is_running()) std::this_thread::yield();
  return Status::Ok();
}

void HttpServer::stop() {
  if (!listener_.joinable()) return;
  server_->stop();
  listener_.join();
}

}  // namespace courier::http
