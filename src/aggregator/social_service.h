// SocialService: what each route of the query API does, behind the HTTP layer. Reads go
// near cache -> Redis Cluster (timelines grouped by node, one pipeline per node, k-way
// merge, bodies in one batch per node) -> Postgres. A page the cluster cannot answer
// whole is answered by one Postgres query, as without a cache, and what was missing is
// filled off the request path (CacheFiller). Writes go to Postgres first, then update the
// cache and drop this instance's near-cache entries.
//
//   SocialService service(options, registry);
//   Result<std::string> page = service.feed(7, *parse_page_request(request.query));
//   if (!page.ok() && page.status().code() == StatusCode::kNotFound) return 404;
//
// Redis trouble never fails a request: a node that does not answer sends its users to
// Postgres, and failures in a row open a circuit breaker that keeps Redis out of the path
// (Postgres only, warned and counted) until a probe succeeds. Every page is complete and
// ordered as `ORDER BY created_at DESC, id DESC`, or an error.
// Thread-safety: every method may be called from many threads at once (pooled resources).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/api_config.h"
#include "aggregator/api_metrics.h"
#include "aggregator/cache_filler.h"
#include "aggregator/near_cache.h"
#include "aggregator/request_coalescer.h"
#include "aggregator/request_parsing.h"
#include "aggregator/resource_pool.h"
#include "aggregator/timeline_cache.h"
#include "courier/circuit_breaker.h"
#include "courier/clock.h"
#include "courier/status.h"
#include "pg/connection.h"
#include "pg/connection_options.h"
#include "redis/client.h"
#include "redis/options.h"
#include "redis/throttled_log.h"

namespace courier::aggregator {

struct ServiceOptions {
  ApiConfig api;
  pg::ConnectionOptions postgres;
  std::optional<redis::ClientOptions> redis;  // nullopt: no cache, Postgres only
  ClockPtr clock = system_clock();
};

class SocialService {
 public:
  SocialService(ServiceOptions options, prometheus::Registry& registry);
  ~SocialService();

  // Response bodies (JSON text). Errors: kInvalidArgument, kNotFound, kFailedPrecondition
  // (username taken), kUnavailable (Postgres down or every connection busy).
  Result<std::string> create_user(const NewUser& user);
  Result<std::string> get_user(std::int64_t user_id);
  Result<std::string> create_post(const NewPost& post);
  Result<std::string> get_post(std::int64_t post_id);
  Result<std::string> user_posts(std::int64_t user_id, const PageRequest& page);
  Result<std::string> follow(std::int64_t follower_id, const NewFollow& follow);
  Result<std::string> feed(std::int64_t user_id, const PageRequest& page);

  // Opens every pooled connection now (at start-up) instead of on the first requests.
  // A failure is returned and warned about; those connections are opened on use later.
  Status connect();
  // Applies the schema if that has not succeeded yet (at start-up, and again on use
  // while Postgres was unreachable).
  Status ensure_schema();
  ApiMetrics& metrics() { return metrics_; }
  // Requests waiting right now for an identical one to finish (coalescing).
  size_t coalesced_waiting() const { return coalescer_.followers(); }
  const ApiConfig& config() const { return options_.api; }
  // A warning for operators, at most once a second per subject (outages repeat).
  void warn(const std::string& subject, std::string_view message);
  // Waits until the cache fills asked for so far are done; false on timeout. For tests
  // and benchmarks that need a warm cache.
  bool wait_for_fills(std::chrono::milliseconds timeout) const;
  // "closed", "open", "half_open": whether Redis is in the read path.
  std::string_view redis_circuit() { return circuit_state_name(breaker_.state()); }

 private:
  struct CacheSession;
  struct PageBody {
    std::string body;
    std::vector<std::int64_t> users;  // whose writes change it (near-cache tags)
    bool near_cacheable = true;       // false when `users` may miss someone
  };

  Result<std::string> read_through_near_cache(const std::string& key,
                                              const std::function<Result<PageBody>()>& compute);
  // `pool` nullptr: the requests' pool. The filler passes its own (one connection each), so
  // a fill never makes a request wait for a connection.
  template <typename T>
  Result<T> with_postgres(std::string_view query, bool idempotent,
                          const std::function<Result<T>(pg::Connection&)>& run,
                          ResourcePool<pg::Connection>* pool = nullptr);
  std::optional<CacheSession> open_cache_session(ResourcePool<redis::Client>* pool = nullptr);

  Result<PageBody> page_from_postgres(std::int64_t user_id, const PageRequest& page, bool feed);
  Result<PageBody> page_from_cache(CacheSession& session, std::int64_t user_id,
                                   const PageRequest& page, bool feed);
  std::optional<std::vector<std::int64_t>> cached_followees(CacheSession& session,
                                                            std::int64_t user_id);
  void request_fill(CacheFiller::Kind kind, std::span<const std::int64_t> users);
  void fill(CacheFiller::Kind kind, const std::vector<std::int64_t>& users);
  Result<std::vector<std::string>> post_bodies(CacheSession* session,
                                               const std::vector<PostKey>& keys,
                                               const std::vector<Post>& known);
  void count_node_reads(redis::Client& client, const std::vector<std::string>& keys);

  ServiceOptions options_;
  ApiMetrics metrics_;
  TimelineCache cache_;
  NearCache near_cache_;
  NearCache body_cache_;  // immutable post bodies, with the near cache
  RequestCoalescer<PageBody> coalescer_;
  CircuitBreaker breaker_;
  ResourcePool<pg::Connection> postgres_pool_;
  std::unique_ptr<ResourcePool<redis::Client>> redis_pool_;
  ResourcePool<pg::Connection> fill_postgres_;
  std::unique_ptr<ResourcePool<redis::Client>> fill_redis_;
  std::mutex schema_mutex_;
  std::atomic<bool> schema_ready_ = false;
  std::mutex log_mutex_;
  redis::ThrottledLog log_;
  // Last: stopped first, while everything its fills use still exists.
  std::unique_ptr<CacheFiller> filler_;
};

}  // namespace courier::aggregator
