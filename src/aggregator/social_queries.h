// The SQL behind every route of the query API, each one statement (one round trip), with
// the order `ORDER BY created_at DESC, id DESC` that the cache and the merge reproduce.
// Values always travel as parameters. Results distinguish "no such user" (nullopt) from
// "a user with nothing to show" (an empty list).
//
//   Result<std::optional<std::vector<Post>>> page =
//       select_user_posts(connection, 7, {.after = cursor, .count = 21});
//   if (page.ok() && !*page) return not_found("user 7");
//
// Errors are the Status of pg::Connection (classified by SQLSTATE); an insert that names
// a missing user is kNotFound, a duplicate username kFailedPrecondition [23505].
// Thread-safety: each call uses the given connection from the calling thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/post_order.h"
#include "aggregator/social_model.h"
#include "courier/status.h"
#include "pg/connection.h"

namespace courier::aggregator {

// Which posts of an ordered list: `count` posts starting after `after` (or after skipping
// `offset` of them).
struct PageWindow {
  std::optional<PostKey> after;
  size_t offset = 0;
  size_t count = 0;
};

// A user and the newest posts of their timeline (for a cache fill).
struct UserTimeline {
  std::int64_t user_id = 0;
  std::vector<Post> newest;
};

Result<User> insert_user(pg::Connection& connection, const std::string& username);
Result<std::optional<User>> select_user(pg::Connection& connection, std::int64_t user_id);

Result<Post> insert_post(pg::Connection& connection, std::int64_t user_id,
                         const std::string& content);
// The posts that exist among `post_ids`, in no particular order.
Result<std::vector<Post>> select_posts(pg::Connection& connection,
                                       const std::vector<std::int64_t>& post_ids);

// nullopt: no such user.
Result<std::optional<std::vector<Post>>> select_user_posts(pg::Connection& connection,
                                                           std::int64_t user_id,
                                                           const PageWindow& window);
Result<std::optional<std::vector<Post>>> select_feed(pg::Connection& connection,
                                                     std::int64_t user_id,
                                                     const PageWindow& window);
Result<std::optional<std::vector<std::int64_t>>> select_followees(pg::Connection& connection,
                                                                  std::int64_t user_id);

// True when the follow is new, false when it existed. kNotFound when either user is
// missing; kInvalidArgument for following oneself.
Result<bool> insert_follow(pg::Connection& connection, std::int64_t follower_id,
                           std::int64_t followee_id);

// For each of `user_ids` that exists, its newest `per_user` posts, newest first.
Result<std::vector<UserTimeline>> select_newest_posts(pg::Connection& connection,
                                                      const std::vector<std::int64_t>& user_ids,
                                                      size_t per_user);

}  // namespace courier::aggregator
