#include "aggregator/social_queries.h"

#include <fmt/format.h>

#include <map>

#include "pg/errors.h"
#include "text/integer.h"

namespace courier::aggregator {
namespace {

// The four columns every post query returns, created_at as exact microseconds.
constexpr const char* kPostColumns =
    "p.id, p.user_id, p.content, (extract(epoch FROM p.created_at) * 1000000)::bigint";
constexpr const char* kNewestFirst = "p.created_at DESC, p.id DESC";

std::int64_t to_int64(std::optional<std::string_view> text) {
  return text ? text::parse_integer(*text).value_or(0) : 0;
}

// The post in columns first..first+3, or nullopt when they are NULL (an outer join's
// "nothing here").
std::optional<Post> post_at(const pg::Row& row, int first) {
  if (row.is_null(first)) return std::nullopt;
  return Post{to_int64(row.get(first)), to_int64(row.get(first + 1)),
              std::string(row.get(first + 2).value_or("")), to_int64(row.get(first + 3))};
}

// "{1,2,3}": a bigint[] parameter.
std::string array_literal(const std::vector<std::int64_t>& ids) {
  return fmt::format("{{{}}}", fmt::join(ids, ","));
}

// "AND (p.created_at, p.id) < (<$n as timestamptz>, $n+1)" when the window has a cursor,
// adding its two parameters.
std::string after_condition(const PageWindow& window, pg::Params& params) {
  if (!window.after) return "";
  params.push_back(std::to_string(window.after->created_us));
  params.push_back(std::to_string(window.after->id));
  size_t n = params.size();
  return fmt::format(
      " AND (p.created_at, p.id) < ('epoch'::timestamptz + ${}::bigint * interval '1 "
      "microsecond', ${}::bigint)",
      n - 1, n);
}

// Rows of (user exists, post columns...) into nullopt (no row: no user) or the posts.
std::optional<std::vector<Post>> posts_of_existing_user(const pg::QueryResult& result) {
  if (result.row_count() == 0) return std::nullopt;
  std::vector<Post> posts;
  for (const pg::Row& row : result)
    if (std::optional<Post> post = post_at(row, 0)) posts.push_back(std::move(*post));
  return posts;
}

// A page of a user's posts (or feed): `inner` selects them for user u.id, with {0} the
// cursor condition on p and {1} the order; $2 is the count and $3 the offset.
Result<std::optional<std::vector<Post>>> run_page_query(pg::Connection& connection,
                                                        std::int64_t user_id,
                                                        const PageWindow& window,
                                                        std::string_view inner) {
  pg::Params params = {std::to_string(user_id), std::to_string(window.count),
                       std::to_string(window.offset)};
  std::string after = after_condition(window, params);
  std::string sql = fmt::format(
      "SELECT {0} FROM users u LEFT JOIN LATERAL ({1}) p ON true WHERE u.id = $1 ORDER BY {2}",
      kPostColumns, fmt::format(fmt::runtime(inner), after, kNewestFirst), kNewestFirst);
  Result<pg::QueryResult> result = connection.execute(sql, params);
  if (!result.ok()) return result.status();
  return posts_of_existing_user(*result);
}

}  // namespace

Result<User> insert_user(pg::Connection& connection, const std::string& username) {
  Result<pg::QueryResult> result = connection.execute(
      "INSERT INTO users (username) VALUES ($1) "
      "RETURNING id, username, (extract(epoch FROM created_at) * 1000000)::bigint",
      {username});
  if (!result.ok()) {
    if (result.status().detail() == pg::sqlstate::kUniqueViolation)
      return Status(StatusCode::kFailedPrecondition, "username '" + username + "' is taken",
                    std::string(pg::sqlstate::kUniqueViolation));
    return result.status();
  }
  pg::Row row = result->row(0);
  return User{to_int64(row.get(0)), std::string(row.get(1).value_or("")), to_int64(row.get(2))};
}

Result<std::optional<User>> select_user(pg::Connection& connection, std::int64_t user_id) {
  Result<pg::QueryResult> result = connection.execute(
      "SELECT id, username, (extract(epoch FROM created_at) * 1000000)::bigint FROM users "
      "WHERE id = $1",
      {std::to_string(user_id)});
  if (!result.ok()) return result.status();
  if (result->row_count() == 0) return std::optional<User>();
  pg::Row row = result->row(0);
  return std::optional<User>(
      User{to_int64(row.get(0)), std::string(row.get(1).value_or("")), to_int64(row.get(2))});
}

Result<Post> insert_post(pg::Connection& connection, std::int64_t user_id,
                         const std::string& content) {
  Result<pg::QueryResult> result = connection.execute(
      fmt::format("INSERT INTO posts AS p (user_id, content) VALUES ($1, $2) RETURNING {}",
                  kPostColumns),
      {std::to_string(user_id), content});
  if (!result.ok()) {
    if (result.status().detail() == pg::sqlstate::kForeignKeyViolation)
      return Status(StatusCode::kNotFound, "user " + std::to_string(user_id) + " does not exist");
    return result.status();
  }
  return *post_at(result->row(0), 0);
}

Result<std::vector<Post>> select_posts(pg::Connection& connection,
                                       const std::vector<std::int64_t>& post_ids) {
  Result<pg::QueryResult> result = connection.execute(
      fmt::format("SELECT {} FROM posts p WHERE p.id = ANY($1::bigint[])", kPostColumns),
      {array_literal(post_ids)});
  if (!result.ok()) return result.status();
  std::vector<Post> posts;
  for (const pg::Row& row : *result) posts.push_back(*post_at(row, 0));
  return posts;
}

Result<std::optional<std::vector<Post>>> select_user_posts(pg::Connection& connection,
                                                           std::int64_t user_id,
                                                           const PageWindow& window) {
  return run_page_query(connection, user_id, window,
                        "SELECT p.* FROM posts p WHERE p.user_id = u.id{0} "
                        "ORDER BY {1} LIMIT $2 OFFSET $3");
}

Result<std::optional<std::vector<Post>>> select_feed(pg::Connection& connection,
                                                     std::int64_t user_id,
                                                     const PageWindow& window) {
  // Each followee contributes at most offset + count posts (an index range scan each);
  // the page is the newest of those.
  return run_page_query(connection, user_id, window,
                        "SELECT p.* FROM follows f CROSS JOIN LATERAL ("
                        "  SELECT p.* FROM posts p WHERE p.user_id = f.followee_id{0}"
                        "  ORDER BY {1} LIMIT $2::bigint + $3::bigint) p "
                        "WHERE f.follower_id = u.id ORDER BY {1} LIMIT $2 OFFSET $3");
}

Result<std::optional<std::vector<std::int64_t>>> select_followees(pg::Connection& connection,
                                                                  std::int64_t user_id) {
  Result<pg::QueryResult> result = connection.execute(
      "SELECT f.followee_id FROM users u LEFT JOIN follows f ON f.follower_id = u.id "
      "WHERE u.id = $1 ORDER BY f.followee_id",
      {std::to_string(user_id)});
  if (!result.ok()) return result.status();
  if (result->row_count() == 0) return std::optional<std::vector<std::int64_t>>();
  std::vector<std::int64_t> followees;
  for (const pg::Row& row : *result)
    if (!row.is_null(0)) followees.push_back(to_int64(row.get(0)));
  return std::optional<std::vector<std::int64_t>>(std::move(followees));
}

Result<bool> insert_follow(pg::Connection& connection, std::int64_t follower_id,
                           std::int64_t followee_id) {
  if (follower_id == followee_id)
    return Status(StatusCode::kInvalidArgument, "a user cannot follow themselves");
  Result<pg::QueryResult> result = connection.execute(
      "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      {std::to_string(follower_id), std::to_string(followee_id)});
  if (!result.ok()) {
    if (result.status().detail() == pg::sqlstate::kForeignKeyViolation)
      return Status(StatusCode::kNotFound, "user " + std::to_string(follower_id) + " or " +
                                               std::to_string(followee_id) + " does not exist");
    return result.status();
  }
  return result->affected_rows() == 1;
}

Result<std::vector<UserTimeline>> select_newest_posts(pg::Connection& connection,
                                                      const std::vector<std::int64_t>& user_ids,
                                                      size_t per_user) {
  Result<pg::QueryResult> result = connection.execute(
      fmt::format("SELECT u.id, {0} FROM users u LEFT JOIN LATERAL ("
                  "  SELECT p.* FROM posts p WHERE p.user_id = u.id ORDER BY {1} LIMIT $2) p "
                  "ON true WHERE u.id = ANY($1::bigint[]) ORDER BY u.id, {1}",
                  kPostColumns, kNewestFirst),
      {array_literal(user_ids), std::to_string(per_user)});
  if (!result.ok()) return result.status();
  std::vector<UserTimeline> timelines;
  for (const pg::Row& row : *result) {
    std::int64_t user_id = to_int64(row.get(0));
    if (timelines.empty() || timelines.back().user_id != user_id)
      timelines.push_back(UserTimeline{user_id, {}});
    if (std::optional<Post> post = post_at(row, 1))
      timelines.back().newest.push_back(std::move(*post));
  }
  return timelines;
}

}  // namespace courier::aggregator
