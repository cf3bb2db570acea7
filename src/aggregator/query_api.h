// QueryApi: the REST routes of the query aggregator on Courier's one HTTP server.
//
//   POST /api/v1/users                      {"username"}                 201 user
//   GET  /api/v1/users/:id                                               user
//   POST /api/v1/posts                      {"user_id", "content"}      201 post
//   GET  /api/v1/posts/:id                                               post
//   GET  /api/v1/users/:id/posts?limit=&cursor=|offset=                 page, newest first
//   POST /api/v1/users/:id/follow           {"followee_id"}              follow
//   GET  /api/v1/users/:id/feed?limit=&cursor=|offset=                  page, newest first
//   GET  /ping                                                           {"message":"pong"}
//
// A page is {"posts": [...], "has_more": bool, "next_cursor": "..."}. Bad input answers 400,
// an unknown user or post 404, a taken username 409, Postgres unreachable 503: always with
// {"error": "..."} saying what was wrong. With api.auth_token set, writes need
// "Authorization: Bearer <token>" (401 otherwise).
//
//   QueryApi api(api_config, pg_options, redis_options);
//   api.attach(server);                    // routes, health, metrics: before server.start()
//   (void)api.start();                     // applies the schema if Postgres answers
//   api.stop(); server.stop();             // shutting down: requests answer 503 meanwhile
//
// Thread-safety: routes are registered before the server starts; handlers run concurrently;
// stop() from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "aggregator/api_config.h"
#include "aggregator/social_service.h"
#include "component.h"
#include "http/server.h"

namespace courier::aggregator {

class QueryApi final : public Component {
 public:
  // The API of an `api:` section (read_api_config); its service is built by attach(), on
  // the server's metrics registry.
  QueryApi(ApiConfig api, pg::ConnectionOptions postgres, redis::ClientOptions redis);
  // Routes over a service the caller owns (tests).
  explicit QueryApi(SocialService& service) : service_(&service) {}

  std::string name() const override { return "query api"; }
  // Registers the routes, the "api_cache" health check and (api.auth_all_routes) the token
  // on every route of the server.
  void attach(http::HttpServer& server) override;
  // Applies the schema now if Postgres answers (else on the first request). Never fails.
  Status start() override;
  // From now on every API request answers 503 "shutting down"; the server can then stop.
  void stop() override { stopping_ = true; }
  SocialService& service() { return *service_; }

 private:
  void register_routes(http::HttpServer& server);
  // What a client is told of a failure: 5xx and raw Postgres rejections in words it can
  // act on, never hosts, users, SQL or row values (those go to the log).
  std::string public_message(const Status& status);
  http::Response answer(const Result<std::string>& body, int success_status);

  std::optional<ServiceOptions> to_build_;  // the service attach() builds, when not given
  std::unique_ptr<SocialService> owned_;
  SocialService* service_ = nullptr;
  std::atomic<bool> stopping_ = false;
};

// The HTTP status for a failed call: 400, 404, 409, 503 or 500.
int http_status_for(const Status& status);

}  // namespace courier::aggregator
