#include "aggregator/query_api.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>

#include "aggregator/api_config.h"
#include "pg/errors.h"

namespace courier::aggregator {
namespace {

using http::Method;
using http::Request;
using http::Response;

constexpr const char* kId = "([^/]+)";  // anything, so that "abc" is a 400, not a 404

bool is_sqlstate(const std::string& detail) {
  return detail.size() == 5;
}

}  // namespace

std::string QueryApi::public_message(const Status& status) {
  int http_status = http_status_for(status);
  if (http_status < 500 && !is_sqlstate(status.detail())) return status.message();
  if (http_status == 409 && status.detail() == pg::sqlstate::kUniqueViolation)
    return status.message();  // written by the API ("username 'x' is taken")
  // The rest may carry hosts, users, SQL or row values: they go to the log only.
  service_->warn("request_failed", "api: request failed: " + status.to_string());
  switch (http_status) {
    case 400:
      return "the database rejected a value (SQLSTATE " + status.detail() + ")";
    case 409:
      return "conflicts with existing data (SQLSTATE " + status.detail() + ")";
    case 503:
      return "postgres unavailable or busy; retry shortly";
    default:
      return "internal error; the server log has the details";
  }
}

Response QueryApi::answer(const Result<std::string>& body, int success_status) {
  if (!body.ok())
    return Response::error(http_status_for(body.status()), public_message(body.status()));
  return Response{success_status, *body, "application/json"};
}

namespace {

bool authorized(const Request& request, const std::string& token) {
  return token.empty() || http::bearer_token_matches(request.header("Authorization"), token);
}

}  // namespace

int http_status_for(const Status& status) {
  // A Redis reply or I/O failure (detail: its prefix) is never the client's fault, whatever
  // its class: a refused password or a syntax error is the server's or our setup's.
  if (!status.detail().empty() && !is_sqlstate(status.detail()))
    return status.retryable() ? 503 : 500;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:
    case StatusCode::kCancelled:
      return 503;
    default:
      return 500;
  }
}

QueryApi::QueryApi(ApiConfig api, pg::ConnectionOptions postgres, redis::ClientOptions redis)
    : to_build_(ServiceOptions{
          .api = std::move(api), .postgres = std::move(postgres), .redis = std::move(redis)}) {}

void QueryApi::attach(http::HttpServer& server) {
  if (to_build_) {
    owned_ = std::make_unique<SocialService>(std::move(*to_build_), server.metrics());
    to_build_.reset();
    service_ = owned_.get();
  }
  const ApiConfig& api = service_->config();
  if (api.auth_all_routes) server.require_token(api.auth_token);
  // Answering from Postgres only is degraded, not down: /health says so and stays 200.
  server.health().add("api_cache", [this] {
    return http::HealthReport{true, "redis circuit " + std::string(service_->redis_circuit())};
  });
  register_routes(server);
}

Status QueryApi::start() {
  if (Status schema = service_->ensure_schema(); !schema.ok())
    spdlog::warn("api: cannot apply the schema yet ({}); will retry on the first request",
                 schema.message());
  else if (Status connected = service_->connect(); !connected.ok())
    spdlog::warn("api: cannot open every connection yet ({}); they are opened on use",
                 connected.message());
  const ApiConfig& api = service_->config();
  spdlog::info("api: /api/v1 registered (cache {}, near cache {}, coalescing {}, replica reads {})",
               api.cache.enabled ? "on" : "off", api.near_cache.enabled ? "on" : "off",
               api.coalescing ? "on" : "off", api.read_from_replicas ? "on" : "off");
  return Status::Ok();
}

void QueryApi::register_routes(http::HttpServer& server) {
  // Every route: timed, counted, schema ensured, writes authorised.
  auto route = [this, &server](Method method, const std::string& pattern, std::string name,
                               std::function<Response(const Request&)> handle) {
    bool write = method != Method::kGet;
    server.add_route(method, pattern, [this, name, write, handle](const Request& request) {
      auto started = std::chrono::steady_clock::now();
      Response response;
      if (stopping_) {
        response = Response::error(503, "shutting down");
      } else if (write && !authorized(request, service_->config().auth_token)) {
        response = Response::error(401, "writes need 'Authorization: Bearer <api.auth_token>'");
      } else if (Status schema = service_->ensure_schema(); !schema.ok()) {
        response = Response::error(http_status_for(schema),
                                   "database not ready: " + public_message(schema));
      } else {
        response = handle(request);
      }
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      service_->metrics().request(name, response.status, took.count());
      return response;
    });
  };
  // A route whose path names a user or post: the id checked, then `call(id, request)`.
  auto by_id = [this](std::string what, auto call) {
    return [this, what, call](const Request& request) {
      Result<std::int64_t> id = parse_id(request.captures[0], what);
      if (!id.ok()) return answer(id.status(), 200);
      return answer(call(*id, request), 200);
    };
  };
  // A route creating something from a JSON body: parsed, then created (201).
  auto creating = [this](auto parse, auto create) {
    return [this, parse, create](const Request& request) {
      auto parsed = parse(request.body);
      if (!parsed.ok()) return answer(parsed.status(), 201);
      return answer(create(*parsed), 201);
    };
  };
  auto page = [this](bool feed) {
    return [this, feed](std::int64_t user, const Request& request) -> Result<std::string> {
      Result<PageRequest> page = parse_page_request(request.query);
      if (!page.ok()) return page.status();
      return feed ? service_->feed(user, *page) : service_->user_posts(user, *page);
    };
  };
  const std::string user_path = std::string("/api/v1/users/") + kId;

  route(Method::kPost, "/api/v1/users", "create_user",
        creating(parse_new_user,
                 [this](const NewUser& user) { return service_->create_user(user); }));
  route(Method::kPost, "/api/v1/posts", "create_post",
        creating(parse_new_post,
                 [this](const NewPost& post) { return service_->create_post(post); }));
  route(
      Method::kGet, user_path, "get_user",
      by_id("user id", [this](std::int64_t id, const Request&) { return service_->get_user(id); }));
  route(
      Method::kGet, std::string("/api/v1/posts/") + kId, "get_post",
      by_id("post id", [this](std::int64_t id, const Request&) { return service_->get_post(id); }));
  route(Method::kGet, user_path + "/posts", "user_posts", by_id("user id", page(false)));
  route(Method::kGet, user_path + "/feed", "feed", by_id("user id", page(true)));
  route(Method::kPost, user_path + "/follow", "follow",
        by_id("user id",
              [this](std::int64_t follower, const Request& request) -> Result<std::string> {
                Result<NewFollow> follow = parse_new_follow(request.body);
                if (!follow.ok()) return follow.status();
                return service_->follow(follower, *follow);
              }));
  server.add_route(Method::kGet, "/ping", [](const Request&) {
    return Response::json(200, {{"message", "pong"}});
  });
}

}  // namespace courier::aggregator
