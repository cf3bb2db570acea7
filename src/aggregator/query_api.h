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
//   QueryApi api(service, server);   // before server.start()
//   api.register_routes();
//
// Thread-safety: register_routes() before the server starts; handlers run concurrently.
#pragma once

#include <string>

#include "aggregator/social_service.h"
#include "http/server.h"

namespace courier::aggregator {

class QueryApi {
 public:
  QueryApi(SocialService& service, http::HttpServer& server) : service_(service), server_(server) {}

  void register_routes();

 private:
  SocialService& service_;
  http::HttpServer& server_;
};

// The HTTP status for a failed call: 400, 404, 409, 503 or 500.
int http_status_for(const Status& status);

}  // namespace courier::aggregator
