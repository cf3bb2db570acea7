// Fakes for the coordinator tests: a batch source over a vector (marking removes records),
// a gate that holds a thread until the test opens it, and a counter a test can wait on.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core_test_support.h"
#include "courier/source.h"
#include "courier/status.h"

namespace courier::testing {

// What a ChannelSource acked and nacked (with the reason), by record id.
class AckLog {
 public:
  // Points `options`' on_ack and on_nack here; `id_of` names a record.
  template <typename Record, typename IdOf>
  void record(ChannelSourceOptions<Record>& options, IdOf id_of) {
    options.on_ack = [this, id_of](std::span<const Record> records) {
      std::lock_guard lock(mutex_);
      for (const Record& r : records) acked_.push_back(id_of(r));
      return Status();
    };
    options.on_nack = [this, id_of](std::span<const Record> records, const Status& reason) {
      std::lock_guard lock(mutex_);
      for (const Record& r : records) nacked_.emplace_back(id_of(r), reason.message());
      return Status();
    };
  }
  std::vector<int> acked() {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  std::vector<std::pair<int, std::string>> nacked() {
    std::lock_guard lock(mutex_);
    return nacked_;
  }

 private:
  std::mutex mutex_;
  std::vector<int> acked_;
  std::vector<std::pair<int, std::string>> nacked_;
};

// Holds every wait() until open().
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// Counts events; a test waits until a count is reached (false after 10 s of real time: a
// broken test, never a timing assertion).
class Counter {
 public:
  void increment() {
    std::lock_guard lock(mutex_);
    ++value_;
    changed_.notify_all();
  }
  bool wait_for(size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return value_ >= count; });
  }
  size_t value() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  size_t value_ = 0;
};

// fetch(max) returns the first `max` pending records; mark() removes the records it is
// given. Errors can be queued for the next fetches and marks; `before_fetch` runs inside
// each fetch (to block it, or to look at the clock).
class VectorSource final : public BatchSource<int> {
 public:
  explicit VectorSource(std::vector<int> pending) : pending_(std::move(pending)) {}

  Result<std::vector<int>> fetch(size_t max_records) override {
    {
      std::lock_guard lock(mutex_);
      requested_sizes_.push_back(max_records);
      ++in_fetch_;
      max_in_fetch_ = std::max(max_in_fetch_, in_fetch_);
    }
    fetches.increment();
    if (before_fetch) before_fetch();
    std::lock_guard lock(mutex_);
    --in_fetch_;
    if (!fetch_errors_.empty()) {
      Status error = fetch_errors_.front();
      fetch_errors_.pop_front();
      return error;
    }
    const size_t count = std::min(max_records, pending_.size());
    return std::vector<int>(pending_.begin(), pending_.begin() + static_cast<long>(count));
  }

  Status mark(std::span<const int> handled) override {
    std::lock_guard lock(mutex_);
    if (!mark_errors_.empty()) {
      Status error = mark_errors_.front();
      mark_errors_.pop_front();
      return error;
    }
    for (int record : handled) {
      std::erase(pending_, record);
      marked_.push_back(record);
    }
    return Status();
  }

  void fail_next_fetch(Status error) {
    std::lock_guard lock(mutex_);
    fetch_errors_.push_back(std::move(error));
  }
  void fail_next_mark(Status error) {
    std::lock_guard lock(mutex_);
    mark_errors_.push_back(std::move(error));
  }

  std::vector<int> pending() const {
    std::lock_guard lock(mutex_);
    return pending_;
  }
  std::vector<int> marked() const {
    std::lock_guard lock(mutex_);
    return marked_;
  }
  std::vector<size_t> requested_sizes() const {
    std::lock_guard lock(mutex_);
    return requested_sizes_;
  }
  size_t max_concurrent_fetches() const {
    std::lock_guard lock(mutex_);
    return max_in_fetch_;
  }

  std::function<void()> before_fetch;  // set before the coordinator starts
  Counter fetches;

 private:
  mutable std::mutex mutex_;
  std::vector<int> pending_;
  std::vector<int> marked_;
  std::vector<size_t> requested_sizes_;
  std::deque<Status> fetch_errors_;
  std::deque<Status> mark_errors_;
  size_t in_fetch_ = 0;
  size_t max_in_fetch_ = 0;
};

// Every record synced, except those `dead_letter` picks, which are reported dead-lettered.
inline RecordingApplier::Respond dead_letter_where(std::function<bool(int)> dead_letter) {
  return [dead_letter = std::move(dead_letter)](std::span<const int> batch) {
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (dead_letter(batch[i])) {
        result.add_dead_lettered(i);
      } else {
        result.add_synced(i);
      }
    }
    return result;
  };
}

inline std::vector<int> range(int first, int last) {
  std::vector<int> records;
  for (int record = first; record <= last; ++record) records.push_back(record);
  return records;
}

inline std::vector<int> sorted(std::vector<int> values) {
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace courier::testing
