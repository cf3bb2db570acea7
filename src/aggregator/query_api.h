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
//   auto api = QueryApi::create(api_config, pg_options, redis_options, server);  // before
//   if (!api.ok()) fail(api.status());                 // server.start(); nullptr: no `api:`
//   (*api)->stop(); server.stop(); api->reset();        // shutting down
//
// Thread-safety: routes are registered before the server starts; handlers run concurrently;
// stop() from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "aggregator/social_service.h"
#include "http/server.h"

namespace courier::aggregator {

class QueryApi {
 public:
  // Builds the service of an `api:` section (read_api_config) on the server's metrics
  // registry and registers the routes; nullptr when the section says `enabled: false`.
  // Applies the schema now if Postgres answers (else on the first request).
  static std::unique_ptr<QueryApi> create(const ApiConfig& api,
                                          const pg::ConnectionOptions& postgres,
                                          const redis::ClientOptions& redis,
                                          http::HttpServer& server);

  // Routes over a service the caller owns (tests).
  QueryApi(SocialService& service, http::HttpServer& server) : service_(service), server_(server) {}

  void register_routes();
  // From now on every API request answers 503 "shutting down"; the server can then stop.
  void stop() { stopping_ = true; }
  SocialService& service() { return service_; }

 private:
  // What a client is told of a failure: 5xx and raw Postgres rejections in words it can
  // act on, never hosts, users, SQL or row values (those go to the log).
  std::string public_message(const Status& status);
  http::Response answer(const Result<std::string>& body, int success_status);

  QueryApi(std::unique_ptr<SocialService> owned, http::HttpServer& server)
      : owned_(std::move(owned)), service_(*owned_), server_(server) {}

  std::unique_ptr<SocialService> owned_;
  SocialService& service_;
  http::HttpServer& server_;
  std::atomic<bool> stopping_ = false;
};

// The HTTP status for a failed call: 400, 404, 409, 503 or 500.
int http_status_for(const Status& status);

}  // namespace courier::aggregator
