// Suppressing records seen recently: a bounded window of the last N keys that synced,
// for sources that may deliver the same record twice (redelivery after a crash, a
// producer retrying). It is a best effort over a recent past, not a guarantee: a key
// evicted from the window, or seen by another process, passes again.
//
//   auto deduped = std::make_shared<courier::DedupApplier<Event, std::string>>(
//       inner, /*window_size=*/10000, [](const Event& e) { return e.id; });
//   deduped->apply(batch);  // records whose id synced recently are reported synced, not sent
//
// Thread-safety: DedupWindow is a plain container (not thread-safe). DedupApplier::apply()
// may run on several threads at once when the inner applier allows it; its window is
// locked inside, but two batches in flight at once may both send the same new key.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>

#include "courier/applier.h"

namespace courier {

// The last `capacity` distinct keys remembered, the oldest forgotten first (FIFO, not
// LRU: seeing a key again does not make it younger). Lookups and inserts are O(1).
template <typename Key, typename Hash = std::hash<Key>, typename KeyEqual = std::equal_to<Key>>
class DedupWindow {
 public:
  // Throws std::invalid_argument when capacity is 0.
  explicit DedupWindow(size_t capacity) : capacity_(capacity) {
    if (capacity_ == 0) throw std::invalid_argument("dedup window: capacity must be at least 1");
    keys_.reserve(capacity_);
    arrival_order_.reserve(capacity_);
  }
  // Copies would point into the original's keys; moving keeps the nodes and so the pointers.
  DedupWindow(const DedupWindow&) = delete;
  DedupWindow& operator=(const DedupWindow&) = delete;
  DedupWindow(DedupWindow&&) noexcept = default;
  DedupWindow& operator=(DedupWindow&&) noexcept = default;

  bool contains(const Key& key) const { return keys_.contains(key); }

  // Remembers `key`, forgetting the oldest key when full. Returns false, changing nothing,
  // when the key is already remembered.
  bool remember(Key key) {
    if (keys_.contains(key)) return false;
    if (arrival_order_.size() < capacity_) {
      arrival_order_.push_back(&*keys_.insert(std::move(key)).first);
      return true;
    }
    keys_.erase(keys_.find(*arrival_order_[oldest_]));
    arrival_order_[oldest_] = &*keys_.insert(std::move(key)).first;
    oldest_ = (oldest_ + 1) % capacity_;
    return true;
  }

  size_t size() const { return keys_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  size_t capacity_;
  std::unordered_set<Key, Hash, KeyEqual> keys_;
  // A ring of pointers into keys_ (set elements never move), oldest at oldest_ once full.
  std::vector<const Key*> arrival_order_;
  size_t oldest_ = 0;
};

// Reports records whose key synced recently as synced without passing them on; the rest
// go to the inner applier as a smaller batch. A key is remembered only once its record
// synced, so a record that failed is sent again when retried. Two records with the same
// new key in one batch are both sent. A fatal result is passed through as it is.
template <typename Record, typename Key, typename Hash = std::hash<Key>>
class DedupApplier final : public Applier<Record> {
 public:
  using KeyFunction = std::function<Key(const Record&)>;

  DedupApplier(ApplierPtr<Record> inner, size_t window_size, KeyFunction key_of)
      : inner_(require_inner_applier(std::move(inner), "DedupApplier")),
        key_of_(std::move(key_of)),
        window_(window_size) {
    if (!key_of_) throw std::invalid_argument("DedupApplier needs a key function");
  }

  ApplyResult apply(std::span<const Record> batch) override {
    std::vector<Key> keys;
    keys.reserve(batch.size());
    for (const Record& record : batch) keys.push_back(key_of_(record));

    ApplyResult outcome;
    std::vector<size_t> fresh;
    {
      std::lock_guard lock(mutex_);
      for (size_t i = 0; i < keys.size(); ++i) {
        if (window_.contains(keys[i])) {
          outcome.add_synced(i);
        } else {
          fresh.push_back(i);
        }
      }
    }
    if (fresh.empty()) return outcome;

    ApplyResult applied = apply_subset(*inner_, batch, std::span<const size_t>(fresh));
    if (applied.is_fatal()) return applied;
    {
      std::lock_guard lock(mutex_);
      for (size_t index : applied.synced()) window_.remember(std::move(keys[index]));
    }
    for (size_t index : applied.synced()) outcome.add_synced(index);
    for (const RecordFailure& failure : applied.failed()) {
      outcome.add_failed(failure.index, failure.error);
    }
    return outcome;
  }

 private:
  ApplierPtr<Record> inner_;
  KeyFunction key_of_;
  std::mutex mutex_;
  DedupWindow<Key, Hash> window_;
};

}  // namespace courier
