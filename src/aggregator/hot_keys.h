// HotKeyCounter: the most-read keys in bounded memory (the Space-Saving algorithm). It
// tracks at most `capacity` keys; a new key evicts the least counted one and inherits its
// count as an upper bound on its error, so every key read more than total/capacity times
// is guaranteed to be listed. Metrics export only top(k), never one label per key seen.
//
//   HotKeyCounter hot(64);
//   hot.record("{user:7}:posts");
//   for (const HotKey& key : hot.top(10)) log(key.key, key.count);
//
// Thread-safety: safe to share between threads (one mutex; record is O(log capacity)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace courier::aggregator {

struct HotKey {
  std::string key;
  std::uint64_t count = 0;  // an upper bound: the true count is at least count - error
  std::uint64_t error = 0;  // what the key inherited when it replaced an evicted one
};

class HotKeyCounter {
 public:
  // Throws std::invalid_argument when capacity is 0.
  explicit HotKeyCounter(size_t capacity);

  void record(std::string_view key, std::uint64_t times = 1);
  // One read of each key, under one lock.
  void record_all(const std::vector<std::string>& keys);
  // The k most counted keys, most first (ties by key).
  std::vector<HotKey> top(size_t k) const;
  // Every read ever recorded, tracked or not.
  std::uint64_t total() const;
  size_t capacity() const { return capacity_; }

 private:
  void record_locked(std::string_view key, std::uint64_t times);  // needs mutex_

  struct Entry {
    std::uint64_t count = 0;
    std::uint64_t error = 0;
  };
  size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::set<std::pair<std::uint64_t, std::string>> by_count_;  // (count, key), least first
  std::uint64_t total_ = 0;
};

}  // namespace courier::aggregator
