// TimelineCache: the query API's data in a Redis Cluster, partitioned by user.
//
//   {user:U}:posts      sorted set, score = created_at (µs), member = id (20 digits, so
//                       equal scores order by id): the user's newest posts. At score +inf
//                       it holds one coverage member: "~all" (every post of the user is in
//                       the set) or "~<cursor>" (every post at or after that one is).
//   {user:U}:following  set of followee ids, plus the member "~all" once loaded whole
//   post:ID             the post's JSON body, with a TTL
//
// A timeline read returns posts only when the coverage member vouches for all of them, so
// a set that holds only some posts (made by writes alone) is never a complete page. The
// coverage lives inside the set it describes: one command reads both, and they expire
// together. Fills add (never replace) members and set the coverage in one script,
// atomically per user; writes add their post after the Postgres commit without extending
// the set's life, so whatever a lost write leaves stale is reloaded within the TTL. Posts
// are never deleted, so a fill racing a write cannot lose the write. Every read of many
// users is one pipeline: the client groups it by node and writes to every node before
// reading any reply.
//
//   TimelineCache cache({.timeline_ttl = 10min});
//   std::vector<TimelineRead> reads = cache.read_timelines(client, {7, 9}, window);
//   if (reads[0].state == TimelineRead::kServed) use(reads[0].posts);
//
// Thread-safety: stateless apart from options; each call uses the given client (one thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/post_order.h"
#include "aggregator/social_model.h"
#include "aggregator/social_queries.h"
#include "courier/status.h"
#include "redis/client.h"

namespace courier::aggregator {

struct TimelineCacheOptions {
  std::chrono::milliseconds timeline_ttl{std::chrono::minutes(10)};
  std::chrono::milliseconds post_ttl{std::chrono::hours(1)};
  size_t timeline_size = 500;  // newest posts loaded per user on a miss
};

std::string timeline_key(std::int64_t user_id);
std::string following_key(std::int64_t user_id);
std::string post_body_key(std::int64_t post_id);
// The coverage member of a timeline: `oldest_covered` nullopt means every post.
std::string timeline_coverage_member(std::optional<PostKey> oldest_covered);
// The score of coverage members ("+inf": above every post).
inline constexpr std::string_view kCoverageScore = "+inf";

// What the cache says about one user's timeline for one page window.
struct TimelineRead {
  enum State {
    kServed,          // `posts` are exactly the first posts of the window (all of them, or
                      // window.offset + window.count when more exist)
    kMiss,            // the cache does not hold this timeline: ask Postgres, fill it
    kBeyondCoverage,  // cached, but not as deep as the window: ask Postgres (a refill
                      // would load no more)
    kUnavailable,     // the node did not answer
  };
  State state = kMiss;
  std::vector<PostKey> posts;
};

// The window's posts from a loaded (or cached) newest-first timeline and its coverage:
// `complete` when it holds every post of the user, else it holds everything down to and
// including its last entry. kMiss when the window reaches past what is covered.
TimelineRead window_of(const std::vector<PostKey>& newest_first, bool complete,
                       const PageWindow& window);

class TimelineCache {
 public:
  explicit TimelineCache(TimelineCacheOptions options) : options_(options) {}
  const TimelineCacheOptions& options() const { return options_; }

  // One pipeline: each user's coverage and the posts the window needs.
  std::vector<TimelineRead> read_timelines(redis::Client& client,
                                           const std::vector<std::int64_t>& users,
                                           const PageWindow& window) const;
  // One pipeline: each loaded timeline added, its coverage set (one script per user).
  Status fill_timelines(redis::Client& client, const std::vector<UserTimeline>& loaded) const;
  // After a post was committed: add it to its author's timeline and cache its body.
  Status add_post(redis::Client& client, const Post& post) const;

  // nullopt: not cached; an error when the node did not answer.
  Result<std::optional<std::vector<std::int64_t>>> read_followees(redis::Client& client,
                                                                  std::int64_t user_id) const;
  Status fill_followees(redis::Client& client, std::int64_t user_id,
                        const std::vector<std::int64_t>& followees) const;
  Status add_followee(redis::Client& client, std::int64_t user_id, std::int64_t followee) const;

  // One pipeline of GETs (one batch per node): each post's JSON body (post_json_text),
  // nullopt where not cached or not the body of that post.
  std::vector<std::optional<std::string>> read_posts(redis::Client& client,
                                                     const std::vector<std::int64_t>& ids) const;
  Status fill_posts(redis::Client& client, const std::vector<PostBody>& bodies) const;

 private:
  Status add_after_write(redis::Client& client, redis::Command add,
                         std::vector<redis::Command> also) const;

  TimelineCacheOptions options_;
};

}  // namespace courier::aggregator
