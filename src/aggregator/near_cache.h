// NearCache: an in-process cache of whole responses with a short TTL, in front of the
// cluster, so a hot key is read from Redis at most once per TTL per instance. Entries are
// tagged with the users they depend on; a write by this instance invalidates every entry
// tagged with the user it changed. Bounded in entries and in bytes: the oldest entries go
// first when it is full (every entry has the same TTL, so they are the next to expire
// anyway). Size it to hold what is put in one TTL, or hot entries are dropped early.
//
//   NearCache cache({.ttl = 1s, .max_entries = 100'000, .max_bytes = 64 << 20}, clock);
//   cache.put("posts:7:limit=20", body, {7});
//   std::optional<std::string> hit = cache.get("posts:7:limit=20");
//   cache.invalidate_user(7);                     // after this instance wrote for user 7
//
// Thread-safety: safe to share between threads (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "courier/clock.h"

namespace courier::aggregator {

struct NearCacheOptions {
  std::chrono::milliseconds ttl{1000};
  size_t max_entries = 100'000;
  size_t max_bytes = size_t{64} << 20;  // keys, values and bookkeeping (estimated)
};

class NearCache {
 public:
  NearCache(NearCacheOptions options, ClockPtr clock);

  std::optional<std::string> get(const std::string& key);
  // Stores `value` unless an invalidation happened since `generation_seen` (read with
  // generation() before computing the value): a value computed before a write may miss it.
  void put(const std::string& key, std::string value, const std::vector<std::int64_t>& users,
           std::optional<std::uint64_t> generation_seen = std::nullopt);
  void invalidate_user(std::int64_t user_id);
  // Bumped by every invalidate_user().
  std::uint64_t generation() const;
  size_t size() const;
  size_t bytes() const;

 private:
  struct Entry {
    std::string value;
    TimePoint expires;
    std::vector<std::int64_t> users;
    std::list<std::string>::iterator age;  // position in oldest_first_
    size_t bytes = 0;                      // what it adds to bytes_
  };
  void erase(std::unordered_map<std::string, Entry>::iterator entry);  // needs mutex_

  NearCacheOptions options_;
  ClockPtr clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> oldest_first_;
  std::unordered_map<std::int64_t, std::unordered_set<std::string>> keys_of_user_;
  size_t bytes_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace courier::aggregator
