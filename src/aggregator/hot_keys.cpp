#include "aggregator/hot_keys.h"

#include <algorithm>
#include <stdexcept>

namespace courier::aggregator {

HotKeyCounter::HotKeyCounter(size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("HotKeyCounter: capacity must be at least 1");
}

void HotKeyCounter::record(std::string_view key, std::uint64_t times) {
  std::lock_guard lock(mutex_);
  record_locked(key, times);
}

void HotKeyCounter::record_all(const std::vector<std::string>& keys) {
  std::lock_guard lock(mutex_);
  for (const std::string& key : keys) record_locked(key, 1);
}

void HotKeyCounter::record_locked(std::string_view key, std::uint64_t times) {
  total_ += times;
  std::string name(key);
  auto found = entries_.find(name);
  if (found == entries_.end()) {
    Entry entry;
    if (entries_.size() == capacity_) {
      auto least = by_count_.begin();
      entry.count = least->first;
      entry.error = least->first;
      entries_.erase(least->second);
      by_count_.erase(least);
    }
    found = entries_.emplace(std::move(name), entry).first;
  } else {
    by_count_.erase({found->second.count, found->first});
  }
  found->second.count += times;
  by_count_.insert({found->second.count, found->first});
}

std::vector<HotKey> HotKeyCounter::top(size_t k) const {
  std::lock_guard lock(mutex_);
  std::vector<HotKey> hottest;
  for (auto it = by_count_.rbegin(); it != by_count_.rend() && hottest.size() < k; ++it) {
    const Entry& entry = entries_.at(it->second);
    hottest.push_back(HotKey{it->second, entry.count, entry.error});
  }
  // The set orders equal counts by key descending; list them ascending.
  std::stable_sort(hottest.begin(), hottest.end(), [](const HotKey& a, const HotKey& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
  return hottest;
}

std::uint64_t HotKeyCounter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace courier::aggregator
