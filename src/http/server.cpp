#include "http/server.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <exception>

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
  return [method, handler = std::move(handler)](const httplib::Request& in,
                                                httplib::Response& out) {
    try {
      write_response(handler(to_request(in, method)), out);
    } catch (const std::exception& error) {
      spdlog::error("http: handler for {} failed: {}", in.path, error.what());
      write_response(Response::error(500, "internal error"), out);
    }
  };
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

Response Response::json(int status, const nlohmann::json& body) {
  return Response{status, body.dump(), "application/json"};
}

Response Response::error(int status, const std::string& message) {
  return json(status, {{"error", message}});
}

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<prometheus::Registry> metrics)
    : options_(std::move(options)),
      metrics_(metrics ? std::move(metrics) : std::make_shared<prometheus::Registry>()),
      server_(std::make_unique<httplib::Server>()) {
  int workers = std::max(1, options_.worker_threads);
  server_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
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

HttpServer::~HttpServer() { stop(); }

void HttpServer::add_route(Method method, const std::string& pattern, Handler handler) {
  auto wrapped = guarded(method, std::move(handler));
  switch (method) {
    case Method::kGet: server_->Get(pattern, wrapped); break;
    case Method::kPost: server_->Post(pattern, wrapped); break;
    case Method::kPut: server_->Put(pattern, wrapped); break;
    case Method::kDelete: server_->Delete(pattern, wrapped); break;
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
