// Users and posts as the query API returns them, and their JSON forms (the API's bodies
// and the cached post bodies, which are the same text).
//
//   Post post{.id = 7, .user_id = 1, .content = "hi", .created_us = 1'700'000'000'000'000};
//   std::string body = post_json_text(post);      // {"content":"hi",...,"id":7,...}
//   bool ok = is_post_json_of(body, 7);           // a cached body checked without parsing
//   std::string page = page_json_text({body}, /*has_more=*/false, post.key());
//
// Pages are assembled from the posts' texts, so a body read from the cache is copied into
// the response as it is: never parsed, never serialised again.
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

// A post's id and its JSON text (post_json_text): what the cache stores and pages show.
struct PostBody {
  std::int64_t id = 0;
  std::string json;
};

std::string rfc3339_utc(std::int64_t micros_since_epoch);

nlohmann::json user_json(const User& user);
nlohmann::json post_json(const Post& post);
std::string post_json_text(const Post& post);
// Whether `text` looks like the body post_json_text wrote for post `id`: an object whose
// "id" member is `id`. A cheap guard against a key holding something else, not a parser.
bool is_post_json_of(std::string_view text, std::int64_t id);

// JSON text; bytes that are not UTF-8 (a database in SQL_ASCII) become U+FFFD rather than
// failing the request.
std::string json_text(const nlohmann::json& value);

// {"posts":[...],"has_more":bool,"next_cursor":"..."} from the posts' JSON texts;
// next_cursor (the cursor of `last`, the last post shown) only with has_more.
std::string page_json_text(const std::vector<std::string>& post_texts, bool has_more,
                           const PostKey& last);

}  // namespace courier::aggregator
