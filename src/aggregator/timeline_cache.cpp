#include "aggregator/timeline_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace courier::aggregator {
namespace {

constexpr std::string_view kCompleteMarker = "all";

// Adds the members (ARGV[5..]) with ARGV[4] (ZADD or SADD) in chunks Lua's stack takes,
// keeps the set alive for ARGV[2] ms, then sets the marker KEYS[2] = ARGV[1] for ARGV[3]
// ms: all or nothing.
constexpr const char* kFillScript = R"lua(
local n = #ARGV
for i = 5, n, 1000 do
  redis.call(ARGV[4], KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
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
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// [member, score, member, score, ...] of a WITHSCORES reply.
std::vector<PostKey> keys_of(const redis::Reply& reply) {
  std::vector<PostKey> keys;
  for (size_t i = 0; i + 1 < reply.size(); i += 2) {
    std::optional<std::int64_t> id = integer_of(reply[i].str());
    double score = std::strtod(reply[i + 1].str().c_str(), nullptr);
    if (id) keys.push_back(PostKey{std::llround(score), *id});
  }
  return keys;
}

// What a marker says: nullopt when there is none; the oldest post covered otherwise,
// PostKey{} (older than every post) for "all".
std::optional<PostKey> coverage_of(const Result<redis::Reply>& marker) {
  if (!marker.ok() || !marker->is_string()) return std::nullopt;
  if (marker->str() == kCompleteMarker) return PostKey{};
  Result<PostKey> oldest = decode_cursor(marker->str());
  if (!oldest.ok()) return std::nullopt;
  return *oldest;
}

Status first_failure(const std::vector<Result<redis::Reply>>& replies) {
  for (const Result<redis::Reply>& reply : replies)
    if (!reply.ok()) return reply.status();
  return Status::Ok();
}

redis::Command fill_command(const std::string& key, const std::string& marker, std::string_view add,
                            const std::string& marker_value, const TimelineCacheOptions& options) {
  return {"EVAL",
          kFillScript,
          "2",
          key,
          marker,
          marker_value,
          millis(options.timeline_ttl + options.grace),
          millis(options.timeline_ttl),
          std::string(add)};
}

}  // namespace

std::string timeline_key(std::int64_t user_id) {
  return fmt::format("{{user:{}}}:posts", user_id);
}
std::string timeline_marker_key(std::int64_t user_id) {
  return fmt::format("{{user:{}}}:posts:complete", user_id);
}
std::string following_key(std::int64_t user_id) {
  return fmt::format("{{user:{}}}:following", user_id);
}
std::string following_marker_key(std::int64_t user_id) {
  return fmt::format("{{user:{}}}:following:complete", user_id);
}
std::string post_body_key(std::int64_t post_id) {
  return fmt::format("post:{}", post_id);
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
  size_t per_user = window.after ? 3 : 2;
  std::vector<redis::Command> commands;
  commands.reserve(users.size() * per_user);
  for (std::int64_t user : users) {
    std::string key = timeline_key(user);
    commands.push_back({"GET", timeline_marker_key(user)});
    if (window.after) {
      std::string score = std::to_string(window.after->created_us);
      // Strictly older scores, then the posts sharing the cursor's score (ids below it).
      commands.push_back({"ZREVRANGEBYSCORE", key, "(" + score, "-inf", "WITHSCORES", "LIMIT", "0",
                          std::to_string(need)});
      commands.push_back({"ZREVRANGEBYSCORE", key, score, score, "WITHSCORES"});
    } else {
      commands.push_back({"ZREVRANGE", key, "0", std::to_string(need - 1), "WITHSCORES"});
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
    std::optional<PostKey> covered_down_to = coverage_of(reply[0]);
    if (!covered_down_to) {
      reads.push_back({TimelineRead::kMiss, {}});
      continue;
    }
    std::vector<PostKey> cached;
    if (window.after) {
      for (const PostKey& key : keys_of(*reply[2]))
        if (key.id < window.after->id) cached.push_back(key);
      for (const PostKey& key : keys_of(*reply[1])) cached.push_back(key);
    } else {
      cached = keys_of(*reply[1]);
    }
    // Members older than the marker may be left from earlier fills, with gaps: not vouched for.
    std::erase_if(cached, [&](const PostKey& key) { return key < *covered_down_to; });
    bool complete = *covered_down_to == PostKey{};
    PageWindow from_cursor = window;
    from_cursor.after.reset();  // the replies start after the cursor already
    reads.push_back(window_of(cached, complete, from_cursor));
  }
  return reads;
}

Status TimelineCache::fill_timelines(redis::Client& client,
                                     const std::vector<UserTimeline>& loaded) const {
  std::vector<redis::Command> commands;
  for (const UserTimeline& timeline : loaded) {
    bool complete = timeline.newest.size() < options_.timeline_size;
    std::string marker =
        complete ? std::string(kCompleteMarker) : encode_cursor(timeline.newest.back().key());
    redis::Command command =
        fill_command(timeline_key(timeline.user_id), timeline_marker_key(timeline.user_id), "ZADD",
                     marker, options_);
    for (const Post& post : timeline.newest) {
      command.push_back(std::to_string(post.created_us));
      command.push_back(member_of(post.id));
    }
    commands.push_back(std::move(command));
  }
  if (commands.empty()) return Status::Ok();
  return first_failure(client.pipeline(commands));
}

Status TimelineCache::add_post(redis::Client& client, const Post& post) const {
  std::string key = timeline_key(post.user_id);
  std::vector<Result<redis::Reply>> replies = client.pipeline({
      {"ZADD", key, std::to_string(post.created_us), member_of(post.id)},
      {"PEXPIRE", key, millis(options_.timeline_ttl + options_.grace)},
      {"SET", post_body_key(post.id), json_text(post_json(post)), "PX", millis(options_.post_ttl)},
  });
  Status failed = first_failure(replies);
  // A timeline that missed this post must not be vouched for any longer.
  if (!failed.ok()) (void)client.command({"DEL", timeline_marker_key(post.user_id)});
  return failed;
}

Result<std::optional<std::vector<std::int64_t>>> TimelineCache::read_followees(
    redis::Client& client, std::int64_t user_id) const {
  std::vector<Result<redis::Reply>> replies = client.pipeline(
      {{"GET", following_marker_key(user_id)}, {"SMEMBERS", following_key(user_id)}});
  if (Status failed = first_failure(replies); !failed.ok()) return failed;
  if (!replies[0]->is_string()) return std::optional<std::vector<std::int64_t>>();
  std::vector<std::int64_t> followees;
  for (const redis::Reply& member : replies[1]->elements())
    if (std::optional<std::int64_t> id = integer_of(member.str())) followees.push_back(*id);
  std::sort(followees.begin(), followees.end());
  return std::optional<std::vector<std::int64_t>>(std::move(followees));
}

Status TimelineCache::fill_followees(redis::Client& client, std::int64_t user_id,
                                     const std::vector<std::int64_t>& followees) const {
  redis::Command command = fill_command(following_key(user_id), following_marker_key(user_id),
                                        "SADD", std::string(kCompleteMarker), options_);
  for (std::int64_t followee : followees) command.push_back(std::to_string(followee));
  Result<redis::Reply> reply = client.command(command);
  return reply.status();
}

Status TimelineCache::add_followee(redis::Client& client, std::int64_t user_id,
                                   std::int64_t followee) const {
  std::string key = following_key(user_id);
  std::vector<Result<redis::Reply>> replies =
      client.pipeline({{"SADD", key, std::to_string(followee)},
                       {"PEXPIRE", key, millis(options_.timeline_ttl + options_.grace)}});
  Status failed = first_failure(replies);
  if (!failed.ok()) (void)client.command({"DEL", following_marker_key(user_id)});
  return failed;
}

std::vector<std::optional<Post>> TimelineCache::read_posts(
    redis::Client& client, const std::vector<std::int64_t>& ids) const {
  std::vector<redis::Command> commands;
  for (std::int64_t id : ids) commands.push_back({"GET", post_body_key(id)});
  std::vector<Result<redis::Reply>> replies = client.pipeline(commands);
  std::vector<std::optional<Post>> posts(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!replies[i].ok() || !replies[i]->is_string()) continue;
    Result<Post> post = post_from_json(replies[i]->str());
    if (post.ok() && post->id == ids[i]) posts[i] = std::move(*post);
  }
  return posts;
}

Status TimelineCache::fill_posts(redis::Client& client, const std::vector<Post>& posts) const {
  std::vector<redis::Command> commands;
  for (const Post& post : posts)
    commands.push_back({"SET", post_body_key(post.id), json_text(post_json(post)), "PX",
                        millis(options_.post_ttl)});
  if (commands.empty()) return Status::Ok();
  return first_failure(client.pipeline(commands));
}

}  // namespace courier::aggregator
