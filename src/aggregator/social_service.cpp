#include "aggregator/social_service.h"

#include <algorithm>
#include <unordered_map>

#include "aggregator/social_queries.h"
#include "aggregator/social_schema.h"
#include "aggregator/timeline_merge.h"
#include "redis/cluster_client.h"
#include "redis/slot.h"
#include "text/integer.h"

namespace courier::aggregator {
namespace {

Status not_found_user(std::int64_t user_id) {
  return Status(StatusCode::kNotFound, "user " + std::to_string(user_id) + " does not exist");
}

std::string page_key(std::string_view kind, std::int64_t user_id, const PageRequest& page) {
  return std::string(kind) + ":" + std::to_string(user_id) + "?" + page.canonical();
}

// Near-cache key of the first `count` posts of a user's timeline.
std::string timeline_head_key(std::int64_t user_id, size_t count) {
  return "head:" + std::to_string(user_id) + ":" + std::to_string(count);
}

// "a,b,c": a list as near-cache text, and back (nullopt when an item does not parse).
template <typename T, typename Format>
std::string join_list(const std::vector<T>& items, Format format) {
  std::string text;
  for (const T& item : items) {
    if (!text.empty()) text += ',';
    text += format(item);
  }
  return text;
}

template <typename T, typename Parse>  // Parse: std::string_view -> std::optional<T>
std::optional<std::vector<T>> split_list(std::string_view text, Parse parse) {
  std::vector<T> items;
  while (!text.empty()) {
    size_t comma = std::min(text.find(','), text.size());
    std::optional<T> item = parse(text.substr(0, comma));
    if (!item) return std::nullopt;
    items.push_back(std::move(*item));
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return items;
}

std::string encode_cursors(const std::vector<PostKey>& keys) {
  return join_list(keys, encode_cursor);
}

std::optional<std::vector<PostKey>> decode_cursors(std::string_view text) {
  return split_list<PostKey>(text, [](std::string_view item) -> std::optional<PostKey> {
    Result<PostKey> key = decode_cursor(item);
    return key.ok() ? std::optional(*key) : std::nullopt;
  });
}

std::string encode_ids(const std::vector<std::int64_t>& ids) {
  return join_list(ids, [](std::int64_t id) { return std::to_string(id); });
}

std::optional<std::vector<std::int64_t>> decode_ids(std::string_view text) {
  return split_list<std::int64_t>(text,
                                  [](std::string_view item) { return text::parse_integer(item); });
}

NearCacheOptions near_cache_options(const ApiConfig& api, std::chrono::milliseconds ttl) {
  return {.ttl = ttl,
          .max_entries = static_cast<size_t>(api.near_cache.max_entries),
          .max_bytes = static_cast<size_t>(api.near_cache.max_memory_mb) << 20};
}

std::string_view fill_kind_name(CacheFiller::Kind kind) {
  return kind == CacheFiller::Kind::kTimeline ? "timeline" : "followees";
}

CircuitBreakerOptions breaker_options(const ServiceOptions& options) {
  return CircuitBreakerOptions{
      .name = "redis cache",
      .failure_threshold = static_cast<unsigned>(options.api.fallback.failure_threshold),
      .open_timeout = options.api.fallback.retry_after,
      .clock = options.clock};
}

}  // namespace

// The cache for one request: a pooled client and the breaker's permit, told at the end
// whether Redis answered.
struct SocialService::CacheSession {
  ResourcePool<redis::Client>::Lease client;
  std::optional<CircuitBreaker::Permit> permit;
  bool failed = false;

  CacheSession(ResourcePool<redis::Client>::Lease lease, CircuitBreaker::Permit admitted)
      : client(std::move(lease)), permit(std::move(admitted)) {}
  CacheSession(CacheSession&&) = default;
  ~CacheSession() {
    if (permit) permit->record(failed ? CallOutcome::kFailure : CallOutcome::kSuccess);
  }
  void note(const Status& status) { failed |= status.retryable(); }
};

SocialService::SocialService(ServiceOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      metrics_(registry,
               {.hot_keys_tracked = static_cast<size_t>(options_.api.hot_keys.tracked),
                .hot_keys_exported = static_cast<size_t>(options_.api.hot_keys.exported)}),
      cache_({.timeline_ttl = options_.api.cache.timeline_ttl,
              .post_ttl = options_.api.cache.post_ttl,
              .timeline_size = static_cast<size_t>(options_.api.cache.timeline_size)}),
      near_cache_(near_cache_options(options_.api, options_.api.near_cache.ttl), options_.clock),
      // Posts are never edited: a body kept in process is never stale; only memory bounds it.
      body_cache_(near_cache_options(options_.api, options_.api.cache.post_ttl), options_.clock),
      coalescer_(options_.api.coalescing_wait),
      breaker_(breaker_options(options_)),
      postgres_pool_(
          static_cast<size_t>(options_.api.postgres_connections),
          [this] { return pg::Connection::open(options_.postgres); }, "postgres connections"),
      fill_postgres_(
          1, [this] { return pg::Connection::open(options_.postgres); },
          "the cache filler's postgres connection") {
  if (options_.redis && options_.api.cache.enabled) {
    redis::ClientOptions client = *options_.redis;
    client.read_from_replicas |= options_.api.read_from_replicas;
    redis_pool_ = std::make_unique<ResourcePool<redis::Client>>(
        static_cast<size_t>(options_.api.postgres_connections),
        [client] { return redis::make_client(client); }, "redis clients");
    fill_redis_ = std::make_unique<ResourcePool<redis::Client>>(
        1, [client] { return redis::make_client(client); }, "the cache filler's redis client");
    filler_ = std::make_unique<CacheFiller>(
        CacheFiller::Options{},
        [this](CacheFiller::Kind kind, const std::vector<std::int64_t>& users) {
          fill(kind, users);
        });
  }
}

SocialService::~SocialService() = default;

// ---------- plumbing ----------

void SocialService::warn(const std::string& subject, std::string_view message) {
  std::lock_guard lock(log_mutex_);
  log_.warn(subject, message);
}

Status SocialService::connect() {
  Status opened = postgres_pool_.open_all();
  if (opened.ok()) opened = fill_postgres_.open_all();
  if (opened.ok() && redis_pool_) opened = redis_pool_->open_all();
  if (opened.ok() && fill_redis_) opened = fill_redis_->open_all();
  return opened;
}

Status SocialService::ensure_schema() {
  if (schema_ready_.load(std::memory_order_acquire)) return Status::Ok();  // every request
  std::lock_guard lock(schema_mutex_);
  if (schema_ready_) return Status::Ok();
  Result<bool> applied = with_postgres<bool>("migrations", true, [](pg::Connection& connection) {
    Status status = apply_social_schema(connection);
    return status.ok() ? Result<bool>(true) : Result<bool>(status);
  });
  schema_ready_.store(applied.ok(), std::memory_order_release);
  return applied.status();
}

template <typename T>
Result<T> SocialService::with_postgres(std::string_view query, bool idempotent,
                                       const std::function<Result<T>(pg::Connection&)>& run,
                                       ResourcePool<pg::Connection>* pool) {
  Status last_failure;
  for (int attempt = 0; attempt < (idempotent ? 2 : 1); ++attempt) {
    Result<ResourcePool<pg::Connection>::Lease> lease =
        (pool ? *pool : postgres_pool_).acquire(options_.api.pool_wait);
    if (!lease.ok()) return lease.status();
    metrics_.postgres_query(query);
    Result<T> result = run(**lease);
    if (result.ok() || result.status().code() != StatusCode::kUnavailable) return result;
    // The session is gone (server restarted?): a fresh connection may succeed at once.
    lease->discard();
    last_failure = result.status();
  }
  return last_failure;
}

std::optional<SocialService::CacheSession> SocialService::open_cache_session(
    ResourcePool<redis::Client>* pool) {
  if (!redis_pool_) return std::nullopt;
  std::optional<CircuitBreaker::Permit> permit = breaker_.try_acquire();
  if (!permit) {
    metrics_.degraded("redis_circuit_open");
    std::lock_guard lock(log_mutex_);
    log_.warn("circuit",
              "query api: Redis failed repeatedly; answering from Postgres only "
              "until a probe succeeds");
    return std::nullopt;
  }
  Result<ResourcePool<redis::Client>::Lease> lease =
      (pool ? *pool : *redis_pool_).acquire(options_.api.pool_wait);
  if (!lease.ok()) {
    metrics_.degraded("redis_client_unavailable");
    permit->record(lease.status().retryable() ? CallOutcome::kFailure : CallOutcome::kNeutral);
    std::lock_guard lock(log_mutex_);
    log_.warn("client", "query api: no Redis client (" + lease.status().message() +
                            "); answering from Postgres");
    return std::nullopt;
  }
  return CacheSession(std::move(*lease), std::move(*permit));
}

void SocialService::count_node_reads(redis::Client& client, const std::vector<std::string>& keys) {
  std::shared_ptr<const redis::SlotMap> map;
  if (auto* cluster = dynamic_cast<redis::ClusterClient*>(&client)) map = cluster->slot_map();
  std::unordered_map<std::string, std::uint64_t> reads_of_node;
  for (const std::string& key : keys) {
    const redis::Shard* shard = map ? map->shard_for_slot(redis::key_slot(key)) : nullptr;
    ++reads_of_node[shard ? shard->master : std::string("server")];
  }
  metrics_.key_reads(reads_of_node, keys);
}

Result<std::string> SocialService::read_through_near_cache(
    const std::string& key, const std::function<Result<PageBody>()>& compute) {
  bool near = options_.api.near_cache.enabled;
  if (near) {
    std::optional<std::string> hit = near_cache_.get(key);
    metrics_.cache_lookup("near", hit.has_value());
    if (hit) return std::move(*hit);
  }
  std::uint64_t generation = near_cache_.generation();
  Result<PageBody> page = options_.api.coalescing ? coalescer_.run(key, compute) : compute();
  if (!page.ok()) return page.status();
  if (near && page->near_cacheable) near_cache_.put(key, page->body, page->users, generation);
  return std::move(page->body);
}

// ---------- pages ----------

Result<SocialService::PageBody> SocialService::page_from_postgres(std::int64_t user_id,
                                                                  const PageRequest& page,
                                                                  bool feed) {
  PageWindow window{page.after, page.offset, page.limit + 1};
  Result<std::optional<std::vector<Post>>> rows = with_postgres<std::optional<std::vector<Post>>>(
      feed ? "feed" : "user_posts", true, [&](pg::Connection& connection) {
        return feed ? select_feed(connection, user_id, window)
                    : select_user_posts(connection, user_id, window);
      });
  if (!rows.ok()) return rows.status();
  if (!*rows) return not_found_user(user_id);
  std::vector<Post>& posts = **rows;
  bool has_more = posts.size() > page.limit;
  posts.resize(std::min(posts.size(), page.limit));
  std::vector<std::string> texts;
  texts.reserve(posts.size());
  for (const Post& post : posts) texts.push_back(post_json_text(post));
  PageBody body{page_json_text(texts, has_more, posts.empty() ? PostKey{} : posts.back().key()),
                {user_id}};
  for (const Post& post : posts) body.users.push_back(post.user_id);
  // A feed's followees are not known here: a post by one not on this page could not drop it.
  body.near_cacheable = !feed;
  return body;
}

// A user's followees: from the near cache (hot readers' lists, once per TTL) or the
// cluster. nullopt when neither holds them (a fill is requested) or the node did not answer.
std::optional<std::vector<std::int64_t>> SocialService::cached_followees(CacheSession& session,
                                                                         std::int64_t user_id) {
  bool near = options_.api.near_cache.enabled;
  const std::string near_key = "following:" + std::to_string(user_id);
  if (near) {
    std::optional<std::string> hit = near_cache_.get(near_key);
    std::optional<std::vector<std::int64_t>> ids = hit ? decode_ids(*hit) : std::nullopt;
    metrics_.cache_lookup("near_followees", ids.has_value());
    if (ids) return ids;
  }
  std::uint64_t generation = near_cache_.generation();
  Result<std::optional<std::vector<std::int64_t>>> cached =
      cache_.read_followees(*session.client, user_id);
  session.note(cached.status());
  count_node_reads(*session.client, {following_key(user_id)});
  metrics_.cache_lookup("followees", cached.ok() && cached->has_value());
  if (!cached.ok()) {
    metrics_.degraded("redis_node_unavailable");
    return std::nullopt;
  }
  if (!*cached) {
    request_fill(CacheFiller::Kind::kFollowees, std::span(&user_id, 1));
    return std::nullopt;
  }
  if (near) near_cache_.put(near_key, encode_ids(**cached), {user_id}, generation);
  return std::move(*cached);
}

void SocialService::request_fill(CacheFiller::Kind kind, std::span<const std::int64_t> users) {
  metrics_.cache_fill(fill_kind_name(kind), "dropped", filler_->request(kind, users));
}

bool SocialService::wait_for_fills(std::chrono::milliseconds timeout) const {
  return !filler_ || filler_->wait_until_idle(timeout);
}

// On the filler's thread: loads `users`' data from Postgres and writes it to the cluster.
// A failure is counted and warned; the next read that misses asks again.
void SocialService::fill(CacheFiller::Kind kind, const std::vector<std::int64_t>& users) {
  std::string_view kind_name = fill_kind_name(kind);
  std::optional<CacheSession> session = open_cache_session(fill_redis_.get());
  if (!session) {
    metrics_.cache_fill(kind_name, "failed", users.size());
    return;
  }
  Status filled;
  if (kind == CacheFiller::Kind::kTimeline) {
    size_t per_user = cache_.options().timeline_size;
    Result<std::vector<UserTimeline>> loaded = with_postgres<std::vector<UserTimeline>>(
        "newest_posts", true,
        [&](pg::Connection& connection) {
          return select_newest_posts(connection, users, per_user);
        },
        &fill_postgres_);
    filled = loaded.ok() ? cache_.fill_timelines(*session->client, *loaded) : loaded.status();
    if (loaded.ok()) session->note(filled);
  } else {
    using Followees = std::optional<std::vector<std::int64_t>>;
    for (std::int64_t user_id : users) {
      Result<Followees> found = with_postgres<Followees>(
          "followees", true,
          [&](pg::Connection& connection) { return select_followees(connection, user_id); },
          &fill_postgres_);
      if (!found.ok()) {
        filled = found.status();
        break;
      }
      if (!*found) continue;  // no such user: nothing to cache
      filled = cache_.fill_followees(*session->client, user_id, **found);
      session->note(filled);
      if (!filled.ok()) break;
    }
  }
  metrics_.cache_fill(kind_name, filled.ok() ? "filled" : "failed", users.size());
  if (!filled.ok())
    warn("fill", "query api: filling the cache failed (" + filled.to_string() +
                     "); reads answer from Postgres and ask again");
}

Result<SocialService::PageBody> SocialService::page_from_cache(CacheSession& session,
                                                               std::int64_t user_id,
                                                               const PageRequest& page, bool feed) {
  std::vector<std::int64_t> users = {user_id};
  if (feed) {
    std::optional<std::vector<std::int64_t>> followed = cached_followees(session, user_id);
    // Not cached (or the node did not answer): one query answers, as without a cache.
    if (!followed) return page_from_postgres(user_id, page, feed);
    users = std::move(*followed);
    metrics_.fanout(users.size());
    if (users.size() > static_cast<size_t>(options_.api.max_fanout)) {
      // Every followee's timeline window would be held at once: one Postgres query with a
      // LIMIT answers the same page in bounded memory.
      metrics_.degraded("fanout_over_cap");
      warn("fanout", "query api: a feed over api.max_fanout (" +
                         std::to_string(options_.api.max_fanout) +
                         ") followees is answered by one Postgres query");
      return page_from_postgres(user_id, page, feed);
    }
  }
  PageWindow window{page.after, page.offset, page.limit + 1};
  // The heads of hot timelines are in most feeds: kept in process, they are read from the
  // cluster once per near-cache TTL, not once per feed.
  bool near_heads = options_.api.near_cache.enabled && !page.after && page.offset == 0;
  std::uint64_t generation = near_cache_.generation();
  std::vector<TimelineRead> reads(users.size());
  std::vector<bool> from_near(users.size(), false);
  std::vector<std::int64_t> to_read;
  for (size_t i = 0; i < users.size(); ++i) {
    std::optional<std::string> head =
        near_heads ? near_cache_.get(timeline_head_key(users[i], window.count)) : std::nullopt;
    std::optional<std::vector<PostKey>> keys = head ? decode_cursors(*head) : std::nullopt;
    if (keys) {
      reads[i] = TimelineRead{TimelineRead::kServed, std::move(*keys)};
      from_near[i] = true;
    } else {
      to_read.push_back(users[i]);
    }
  }
  if (near_heads) metrics_.cache_lookup("near_timeline", true, users.size() - to_read.size());
  if (near_heads) metrics_.cache_lookup("near_timeline", false, to_read.size());
  if (!to_read.empty()) {
    std::vector<TimelineRead> fetched = cache_.read_timelines(*session.client, to_read, window);
    for (size_t i = 0, next = 0; i < users.size(); ++i)
      if (!from_near[i]) reads[i] = std::move(fetched[next++]);
    std::vector<std::string> keys;
    for (std::int64_t user : to_read) keys.push_back(timeline_key(user));
    count_node_reads(*session.client, keys);
  }

  // Timelines the cache cannot vouch for: the page comes from Postgres (one query, as
  // without a cache) and the missing timelines are filled off the request path.
  bool unreadable = false;
  size_t missing = 0;
  std::vector<std::int64_t> to_fill;
  for (size_t i = 0; i < reads.size(); ++i) {
    missing += reads[i].state != TimelineRead::kServed;
    unreadable |= reads[i].state == TimelineRead::kUnavailable;
    if (reads[i].state == TimelineRead::kMiss) to_fill.push_back(users[i]);
  }
  if (!to_fill.empty()) request_fill(CacheFiller::Kind::kTimeline, to_fill);
  metrics_.cache_lookup("timeline", true, reads.size() - missing);
  metrics_.cache_lookup("timeline", false, missing);
  if (unreadable) {
    session.failed = true;
    metrics_.degraded("redis_node_unavailable");
  }
  if (missing > 0) return page_from_postgres(user_id, page, feed);

  for (size_t i = 0; near_heads && i < reads.size(); ++i)
    if (!from_near[i])
      near_cache_.put(timeline_head_key(users[i], window.count), encode_cursors(reads[i].posts),
                      {users[i]}, generation);
  std::vector<std::vector<PostKey>> timelines;
  timelines.reserve(reads.size());
  for (TimelineRead& read : reads) timelines.push_back(std::move(read.posts));
  MergedPage merged = merge_newest_first(timelines, page.offset + page.limit);
  std::vector<PostKey> shown(merged.posts.begin() + std::min(page.offset, merged.posts.size()),
                             merged.posts.end());
  Result<std::vector<std::string>> bodies = post_bodies(&session, shown, {});
  if (!bodies.ok()) return bodies.status();
  users.push_back(user_id);
  return PageBody{
      page_json_text(*bodies, merged.has_more, shown.empty() ? PostKey{} : shown.back()),
      std::move(users)};
}

// The JSON bodies of the posts of `keys`, in order: from `known` (just loaded from
// Postgres), the in-process body cache, the cluster (one batch per node), then Postgres
// (one query) for the rest. What was found below a layer is written back to it.
Result<std::vector<std::string>> SocialService::post_bodies(CacheSession* session,
                                                            const std::vector<PostKey>& keys,
                                                            const std::vector<Post>& known) {
  std::unordered_map<std::int64_t, std::string> json_of;  // empty until found
  for (const PostKey& key : keys) json_of.emplace(key.id, std::string());
  std::vector<PostBody> for_cluster;  // found outside the cluster
  std::vector<PostBody> for_near;     // found outside the process
  auto found = [&](std::int64_t id, std::string json, std::vector<PostBody>* write_back) {
    if (write_back) write_back->push_back(PostBody{id, json});
    json_of[id] = std::move(json);
  };
  auto still_missing = [&] {
    std::vector<std::int64_t> ids;
    for (const PostKey& key : keys)
      if (json_of[key.id].empty()) ids.push_back(key.id);
    return ids;
  };
  for (const Post& post : known) {
    auto wanted = json_of.find(post.id);
    if (wanted != json_of.end() && wanted->second.empty())
      found(post.id, post_json_text(post), &for_cluster);
  }
  std::vector<std::int64_t> missing = still_missing();
  bool near = options_.api.near_cache.enabled;
  if (near && !missing.empty()) {
    size_t hits = 0;
    for (std::int64_t id : missing) {
      std::optional<std::string> body = body_cache_.get(post_body_key(id));
      if (!body) continue;
      ++hits;
      found(id, std::move(*body), nullptr);
    }
    metrics_.cache_lookup("near_post", true, hits);
    metrics_.cache_lookup("near_post", false, missing.size() - hits);
    missing = still_missing();
  }
  if (session && !missing.empty()) {
    std::vector<std::optional<std::string>> cached = cache_.read_posts(*session->client, missing);
    std::vector<std::string> body_keys;
    for (std::int64_t id : missing) body_keys.push_back(post_body_key(id));
    count_node_reads(*session->client, body_keys);
    size_t hits = 0;
    for (size_t i = 0; i < missing.size(); ++i) {
      if (!cached[i]) continue;
      ++hits;
      found(missing[i], std::move(*cached[i]), &for_near);
    }
    metrics_.cache_lookup("post", true, hits);
    metrics_.cache_lookup("post", false, missing.size() - hits);
    missing = still_missing();
  }
  if (!missing.empty()) {
    Result<std::vector<Post>> loaded = with_postgres<std::vector<Post>>(
        "posts", true,
        [&](pg::Connection& connection) { return select_posts(connection, missing); });
    if (!loaded.ok()) return loaded.status();
    for (const Post& post : *loaded) found(post.id, post_json_text(post), &for_cluster);
  }
  if (session && !for_cluster.empty())
    session->note(cache_.fill_posts(*session->client, for_cluster));
  if (near) {
    for (const std::vector<PostBody>* source : {&for_cluster, &for_near})
      for (const PostBody& body : *source) body_cache_.put(post_body_key(body.id), body.json, {});
  }
  std::vector<std::string> bodies;
  bodies.reserve(keys.size());
  for (const PostKey& key : keys) {
    std::string& json = json_of[key.id];
    if (json.empty())
      return Status(StatusCode::kInternal,
                    "post " + std::to_string(key.id) + " is listed in a timeline but missing");
    bodies.push_back(std::move(json));
  }
  return bodies;
}

// ---------- routes ----------

Result<std::string> SocialService::user_posts(std::int64_t user_id, const PageRequest& page) {
  return read_through_near_cache(page_key("posts", user_id, page), [&]() -> Result<PageBody> {
    if (std::optional<CacheSession> session = open_cache_session())
      return page_from_cache(*session, user_id, page, false);
    return page_from_postgres(user_id, page, false);
  });
}

Result<std::string> SocialService::feed(std::int64_t user_id, const PageRequest& page) {
  return read_through_near_cache(page_key("feed", user_id, page), [&]() -> Result<PageBody> {
    if (std::optional<CacheSession> session = open_cache_session())
      return page_from_cache(*session, user_id, page, true);
    return page_from_postgres(user_id, page, true);
  });
}

Result<std::string> SocialService::get_post(std::int64_t post_id) {
  return read_through_near_cache("post:" + std::to_string(post_id), [&]() -> Result<PageBody> {
    std::optional<CacheSession> session = open_cache_session();
    PostKey key{0, post_id};
    std::vector<Post> known;
    if (!session) {
      Result<std::vector<Post>> loaded = with_postgres<std::vector<Post>>(
          "posts", true,
          [&](pg::Connection& connection) { return select_posts(connection, {post_id}); });
      if (!loaded.ok()) return loaded.status();
      known = std::move(*loaded);
    }
    if (!session && known.empty())
      return Status(StatusCode::kNotFound, "post " + std::to_string(post_id) + " does not exist");
    Result<std::vector<std::string>> bodies =
        post_bodies(session ? &*session : nullptr, {key}, known);
    if (!bodies.ok()) {
      if (bodies.status().code() == StatusCode::kInternal)
        return Status(StatusCode::kNotFound, "post " + std::to_string(post_id) + " does not exist");
      return bodies.status();
    }
    return PageBody{std::move(bodies->front()), {}};  // posts are never edited
  });
}

Result<std::string> SocialService::get_user(std::int64_t user_id) {
  return read_through_near_cache("user:" + std::to_string(user_id), [&]() -> Result<PageBody> {
    Result<std::optional<User>> user = with_postgres<std::optional<User>>(
        "user", true, [&](pg::Connection& connection) { return select_user(connection, user_id); });
    if (!user.ok()) return user.status();
    if (!*user) return not_found_user(user_id);
    return PageBody{json_text(user_json(**user)), {user_id}};
  });
}

Result<std::string> SocialService::create_user(const NewUser& user) {
  Result<User> created = with_postgres<User>("insert_user", false, [&](pg::Connection& connection) {
    return insert_user(connection, user.username);
  });
  if (!created.ok()) return created.status();
  return json_text(user_json(*created));
}

Result<std::string> SocialService::create_post(const NewPost& post) {
  Result<Post> created = with_postgres<Post>("insert_post", false, [&](pg::Connection& connection) {
    return insert_post(connection, post.user_id, post.content);
  });
  if (!created.ok()) return created.status();
  if (std::optional<CacheSession> session = open_cache_session()) {
    Status updated = cache_.add_post(*session->client, *created);
    session->note(updated);
    if (!updated.ok()) metrics_.degraded("cache_update_failed");
  }
  near_cache_.invalidate_user(created->user_id);
  return post_json_text(*created);
}

Result<std::string> SocialService::follow(std::int64_t follower_id, const NewFollow& follow) {
  Result<bool> created =
      with_postgres<bool>("insert_follow", false, [&](pg::Connection& connection) {
        return insert_follow(connection, follower_id, follow.followee_id);
      });
  if (!created.ok()) return created.status();
  if (*created) {
    if (std::optional<CacheSession> session = open_cache_session()) {
      Status updated = cache_.add_followee(*session->client, follower_id, follow.followee_id);
      session->note(updated);
      if (!updated.ok()) metrics_.degraded("cache_update_failed");
    }
  }
  near_cache_.invalidate_user(follower_id);
  return nlohmann::json{
      {"follower_id", follower_id}, {"followee_id", follow.followee_id}, {"created", *created}}
      .dump();
}

}  // namespace courier::aggregator
