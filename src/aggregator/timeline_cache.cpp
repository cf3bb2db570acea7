#include "aggregator/timeline_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "text/integer.h"

namespace courier::aggregator {
namespace {

// Members that are not post ids start with this (ids are digits).
constexpr char kCoveragePrefix = '~';
constexpr std::string_view kAllMember = "~all";

// Replaces the coverage member of sorted set KEYS[1] with ARGV[1], adds the posts
// (ARGV[3..], score/member pairs, in chunks Lua's stack takes) and makes the set live
// ARGV[2] ms from now: all or nothing.
constexpr const char* kFillTimelineScript = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '+inf', '+inf')
local n = #ARGV
for i = 3, n, 1000 do
  redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
end
redis.call('ZADD', KEYS[1], '+inf', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

// Runs ARGV[1] (ZADD or SADD) on KEYS[1] with ARGV[3..], and gives the set a TTL of
// ARGV[2] ms only if it has none: what PEXPIRE NX does, without needing Redis 7.
constexpr const char* kAddAfterWriteScript = R"lua(
redis.call(ARGV[1], KEYS[1], unpack(ARGV, 3))
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
)lua";

// Adds the followees (ARGV[2..]) and "~all" to set KEYS[1], which lives ARGV[1] ms.
constexpr const char* kFillFolloweesScript = R"lua(
local n = #ARGV
for i = 2, n, 1000 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
end
redis.call('SADD', KEYS[1], '~all')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua";

std::string millis(std::chrono::milliseconds duration) {
  return std::to_string(duration.count());
}

// Zero-padded so that members with equal scores sort by id (Redis orders them bytewise).
std::string member_of(std::int64_t post_id) {
  return fmt::format("{:020}", post_id);
}

std::optional<std::int64_t> integer_of(std::string_view text) {
  return text::parse_integer(text);
}

// The posts of [member, score, member, score, ...], a WITHSCORES reply; the coverage
// member, if the reply holds it, goes to `coverage`.
std::vector<PostKey> keys_of(const redis::Reply& reply, std::string* coverage = nullptr) {
  std::vector<PostKey> keys;
  keys.reserve(reply.size() / 2);
  for (size_t i = 0; i + 1 < reply.size(); i += 2) {
    const std::string& member = reply[i].str();
    if (!member.empty() && member.front() == kCoveragePrefix) {
      if (coverage) *coverage = member;
      continue;
    }
    std::optional<std::int64_t> id = integer_of(member);
    double score = std::strtod(reply[i + 1].str().c_str(), nullptr);
    if (id) keys.push_back(PostKey{std::llround(score), *id});
  }
  return keys;
}

// What a coverage member says: nullopt when there is none (or it is unreadable); the
// oldest post covered otherwise, PostKey{} (older than every post) for "~all".
std::optional<PostKey> coverage_of(std::string_view member) {
  if (member.empty() || member.front() != kCoveragePrefix) return std::nullopt;
  if (member == kAllMember) return PostKey{};
  Result<PostKey> oldest = decode_cursor(member.substr(1));
  if (!oldest.ok()) return std::nullopt;
  return *oldest;
}

Status first_failure(const std::vector<Result<redis::Reply>>& replies) {
  for (const Result<redis::Reply>& reply : replies)
    if (!reply.ok()) return reply.status();
  return Status::Ok();
}

}  // namespace

std::string timeline_key(std::int64_t user_id) {
  return fmt::format("{{user:{}}}:posts", user_id);
}
std::string following_key(std::int64_t user_id) {
  return fmt::format("{{user:{}}}:following", user_id);
}
std::string post_body_key(std::int64_t post_id) {
  return fmt::format("post:{}", post_id);
}
std::string timeline_coverage_member(std::optional<PostKey> oldest_covered) {
  if (!oldest_covered) return std::string(kAllMember);
  return kCoveragePrefix + encode_cursor(*oldest_covered);
}

TimelineRead window_of(const std::vector<PostKey>& newest_first, bool complete,
                       const PageWindow& window) {
  TimelineRead read{TimelineRead::kServed, {}};
  size_t need = window.offset + window.count;
  for (const PostKey& key : newest_first) {
    if (read.posts.size() == need) return read;
    if (!window.after || comes_before(*window.after, key)) read.posts.push_back(key);
  }
  if (read.posts.size() == need || complete) return read;
  return TimelineRead{TimelineRead::kMiss, {}};
}

std::vector<TimelineRead> TimelineCache::read_timelines(redis::Client& client,
                                                        const std::vector<std::int64_t>& users,
                                                        const PageWindow& window) const {
  size_t need = window.offset + window.count;
  // A first page: one range from the top, coverage member included. After a cursor: the
  // coverage member, the strictly older posts, and the posts sharing the cursor's score.
  size_t per_user = window.after ? 3 : 1;
  std::vector<redis::Command> commands;
  commands.reserve(users.size() * per_user);
  for (std::int64_t user : users) {
    std::string key = timeline_key(user);
    if (window.after) {
      std::string score = std::to_string(window.after->created_us);
      commands.push_back({"ZREVRANGEBYSCORE", key, std::string(kCoverageScore),
                          std::string(kCoverageScore), "WITHSCORES"});
      commands.push_back({"ZREVRANGEBYSCORE", key, "(" + score, "-inf", "WITHSCORES", "LIMIT", "0",
                          std::to_string(need)});
      commands.push_back({"ZREVRANGEBYSCORE", key, score, score, "WITHSCORES"});
    } else {
      commands.push_back({"ZREVRANGE", key, "0", std::to_string(need), "WITHSCORES"});
    }
  }
  std::vector<Result<redis::Reply>> replies = client.pipeline(commands);

  std::vector<TimelineRead> reads;
  reads.reserve(users.size());
  for (size_t u = 0; u < users.size(); ++u) {
    const Result<redis::Reply>* reply = &replies[u * per_user];
    bool unavailable = false;
    for (size_t i = 0; i < per_user; ++i) unavailable |= !reply[i].ok();
    if (unavailable) {
      reads.push_back({TimelineRead::kUnavailable, {}});
      continue;
    }
    std::string coverage;
    std::vector<PostKey> cached;
    if (window.after) {
      (void)keys_of(*reply[0], &coverage);
      for (const PostKey& key : keys_of(*reply[2]))
        if (key.id < window.after->id) cached.push_back(key);
      for (const PostKey& key : keys_of(*reply[1])) cached.push_back(key);
    } else {
      cached = keys_of(*reply[0], &coverage);
    }
    std::optional<PostKey> covered_down_to = coverage_of(coverage);
    if (!covered_down_to) {
      reads.push_back({TimelineRead::kMiss, {}});
      continue;
    }
    // Members older than the coverage may be left from earlier fills, with gaps: not vouched for.
    std::erase_if(cached, [&](const PostKey& key) { return key < *covered_down_to; });
    bool complete = *covered_down_to == PostKey{};
    PageWindow from_cursor = window;
    from_cursor.after.reset();  // the replies start after the cursor already
    TimelineRead read = window_of(cached, complete, from_cursor);
    if (read.state == TimelineRead::kMiss) read.state = TimelineRead::kBeyondCoverage;
    reads.push_back(std::move(read));
  }
  return reads;
}

Status TimelineCache::fill_timelines(redis::Client& client,
                                     const std::vector<UserTimeline>& loaded) const {
  std::vector<redis::Command> commands;
  commands.reserve(loaded.size());
  for (const UserTimeline& timeline : loaded) {
    bool complete = timeline.newest.size() < options_.timeline_size;
    redis::Command command = {
        "EVAL",
        kFillTimelineScript,
        "1",
        timeline_key(timeline.user_id),
        timeline_coverage_member(complete ? std::nullopt
                                          : std::optional(timeline.newest.back().key())),
        millis(options_.timeline_ttl)};
    for (const Post& post : timeline.newest) {
      command.push_back(std::to_string(post.created_us));
      command.push_back(member_of(post.id));
    }
    commands.push_back(std::move(command));
  }
  if (commands.empty()) return Status::Ok();
  return first_failure(client.pipeline(commands));
}

// Runs `add` ({"ZADD"|"SADD", key, ...}) on a cached set after a write, with `also` in the
// same pipeline. Only a set made by this write gets a TTL: a filled set is not kept alive
// past its coverage's TTL by writes. If the write did not land, the set is dropped: its
// coverage would vouch for a set missing it.
Status TimelineCache::add_after_write(redis::Client& client, redis::Command add,
                                      std::vector<redis::Command> also) const {
  const std::string key = add[1];
  redis::Command script = {"EVAL", kAddAfterWriteScript,         "1", key,
                           add[0], millis(options_.timeline_ttl)};
  script.insert(script.end(), std::make_move_iterator(add.begin() + 2),
                std::make_move_iterator(add.end()));
  also.insert(also.begin(), std::move(script));
  Status failed = first_failure(client.pipeline(also));
  if (!failed.ok()) (void)client.command({"DEL", key});
  return failed;
}

Status TimelineCache::add_post(redis::Client& client, const Post& post) const {
  return add_after_write(
      client,
      {"ZADD", timeline_key(post.user_id), std::to_string(post.created_us), member_of(post.id)},
      {{"SET", post_body_key(post.id), post_json_text(post), "PX", millis(options_.post_ttl)}});
}

Result<std::optional<std::vector<std::int64_t>>> TimelineCache::read_followees(
    redis::Client& client, std::int64_t user_id) const {
  Result<redis::Reply> members = client.command({"SMEMBERS", following_key(user_id)});
  if (!members.ok()) return members.status();
  std::vector<std::int64_t> followees;
  bool complete = false;
  for (const redis::Reply& member : members->elements()) {
    if (member.str() == kAllMember) complete = true;
    if (std::optional<std::int64_t> id = integer_of(member.str())) followees.push_back(*id);
  }
  if (!complete) return std::optional<std::vector<std::int64_t>>();
  std::sort(followees.begin(), followees.end());
  return std::optional<std::vector<std::int64_t>>(std::move(followees));
}

Status TimelineCache::fill_followees(redis::Client& client, std::int64_t user_id,
                                     const std::vector<std::int64_t>& followees) const {
  redis::Command command = {"EVAL", kFillFolloweesScript, "1", following_key(user_id),
                            millis(options_.timeline_ttl)};
  for (std::int64_t followee : followees) command.push_back(std::to_string(followee));
  return client.command(command).status();
}

Status TimelineCache::add_followee(redis::Client& client, std::int64_t user_id,
                                   std::int64_t followee) const {
  return add_after_write(client, {"SADD", following_key(user_id), std::to_string(followee)}, {});
}

std::vector<std::optional<std::string>> TimelineCache::read_posts(
    redis::Client& client, const std::vector<std::int64_t>& ids) const {
  std::vector<redis::Command> commands;
  commands.reserve(ids.size());
  for (std::int64_t id : ids) commands.push_back({"GET", post_body_key(id)});
  std::vector<Result<redis::Reply>> replies = client.pipeline(commands);
  std::vector<std::optional<std::string>> bodies(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!replies[i].ok() || !replies[i]->is_string()) continue;
    if (is_post_json_of(replies[i]->str(), ids[i])) bodies[i] = std::move(*replies[i]).take_str();
  }
  return bodies;
}

Status TimelineCache::fill_posts(redis::Client& client, const std::vector<PostBody>& bodies) const {
  std::vector<redis::Command> commands;
  commands.reserve(bodies.size());
  for (const PostBody& body : bodies)
    commands.push_back({"SET", post_body_key(body.id), body.json, "PX", millis(options_.post_ttl)});
  if (commands.empty()) return Status::Ok();
  return first_failure(client.pipeline(commands));
}

}  // namespace courier::aggregator
