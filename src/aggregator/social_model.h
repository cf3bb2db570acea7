// Users and posts as the query API returns them, and their JSON forms (the API's bodies
// and the cached post bodies, which are the same text).
//
//   Post post{.id = 7, .user_id = 1, .content = "hi", .created_us = 1'700'000'000'000'000};
//   std::string body = post_json(post).dump();    // {"id":7,"user_id":1,...}
//   Result<Post> back = post_from_json(body);     // from a cached body
//
// created_at is shown as RFC 3339 UTC with microseconds: "2023-11-14T22:13:20.000000Z".
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/post_order.h"
#include "courier/status.h"

namespace courier::aggregator {

struct User {
  std::int64_t id = 0;
  std::string username;
  std::int64_t created_us = 0;
};

struct Post {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string content;
  std::int64_t created_us = 0;

  PostKey key() const { return {created_us, id}; }
  friend bool operator==(const Post&, const Post&) = default;
};

std::string rfc3339_utc(std::int64_t micros_since_epoch);

nlohmann::json user_json(const User& user);
nlohmann::json post_json(const Post& post);
// kInternal when the text is not a post body this module wrote.
Result<Post> post_from_json(std::string_view text);

// JSON text; bytes that are not UTF-8 (a database in SQL_ASCII) become U+FFFD rather than
// failing the request.
std::string json_text(const nlohmann::json& value);

// {"posts": [...], "has_more": bool, "next_cursor": "..." (only with has_more)}
nlohmann::json page_json(const std::vector<Post>& posts, bool has_more);

}  // namespace courier::aggregator
