// Checking what a client sent to the query API: path ids, paging parameters and JSON
// bodies. Every mistake is a kInvalidArgument whose message says what was wrong and where,
// answered as 400 with {"error": message}; nothing a client sends can reach SQL unchecked.
//
//   Result<std::int64_t> user = parse_id(request.captures[0], "user id");
//   Result<PageRequest> page = parse_page_request(request.query);   // limit 1..100
//   Result<NewPost> post = parse_new_post(request.body);
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aggregator/post_order.h"
#include "courier/status.h"

namespace courier::aggregator {

inline constexpr size_t kDefaultPageLimit = 20;
inline constexpr size_t kMaxPageLimit = 100;
inline constexpr size_t kMaxPageOffset = 10'000;
inline constexpr size_t kMaxUsernameBytes = 64;
inline constexpr size_t kMaxPostBytes = 10'000;

struct PageRequest {
  size_t limit = kDefaultPageLimit;  // `limit=`, 1..100
  std::optional<PostKey> after;      // `cursor=`: the page starts after this post
  size_t offset = 0;                 // `offset=`: posts skipped (with no cursor only)

  // "limit=20&cursor=..." normalised, for cache and coalescing keys.
  std::string canonical() const;
};

struct NewUser {
  std::string username;
};

struct NewPost {
  std::int64_t user_id = 0;
  std::string content;
};

struct NewFollow {
  std::int64_t followee_id = 0;
};

// A positive 64-bit decimal id; `what` ("user id") names it in the message.
Result<std::int64_t> parse_id(std::string_view text, std::string_view what);

// `limit`, `cursor` and `offset` from a query string; other parameters are refused too,
// so a typo ("limt=5") is an error rather than silently the default.
Result<PageRequest> parse_page_request(const std::multimap<std::string, std::string>& query);

// {"username": "alice"}
Result<NewUser> parse_new_user(std::string_view body);
// {"user_id": 7, "content": "hello"}
Result<NewPost> parse_new_post(std::string_view body);
// {"followee_id": 9}
Result<NewFollow> parse_new_follow(std::string_view body);

}  // namespace courier::aggregator
