// Sources: where a pipeline's records come from, and where it reports them done.
//
// A BatchSource is polled: fetch up to N records, later mark the handled ones so they are
// not fetched again (an outbox table, a "pending" flag). A StreamSource pushes: receive
// what has arrived, then ack the handled records and nack the failed ones (a Redis
// consumer group, a queue). ChannelSource is a bounded in-memory StreamSource fed by push().
//
//   auto source = courier::batch_source_functions<Event>(fetch_pending, mark_sent);
//   courier::ChannelSource<Event> channel({.capacity = 1000, .on_ack = mark_done});
//   channel.push(event);  // blocks while 1000 records wait: a slow consumer slows the producer
//
// Thread-safety: BatchSourceFunctions calls its functions on the caller's thread, one call
// at a time per coordinator. A StreamSource driven by a StreamingCoordinator with several
// workers sees receive/ack/nack from those workers at once and must allow it;
// ChannelSource does (every member may be called from any thread).
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <utility>
#include <vector>

#include "courier/clock.h"
#include "courier/status.h"

namespace courier {

// A source that is polled. fetch() returns at most `max_records` records that are not yet
// marked (an empty vector when there are none); mark() records that `handled` were synced
// or dead-lettered, so that later fetches skip them. Records fetched but never marked are
// fetched again: delivery is at-least-once.
//
// A pass (one drain by a PollingCoordinator) begins with begin_pass() and ends with
// end_pass(); a source that needs neither keeps the defaults. A source whose applier stores
// the position with the data (a checkpoint written in the same transaction as the rows)
// has nothing left to do in mark(): a crash can then never separate the two.
template <typename Record>
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual Result<std::vector<Record>> fetch(size_t max_records) = 0;
  virtual Status mark(std::span<const Record> handled) = 0;
  // Before a pass's first fetch: take a lease, read the stored position. False: the work
  // is someone else's now (a lease held by another process), the pass is skipped. An
  // error ends the pass like a failed fetch.
  virtual Result<bool> begin_pass() { return true; }
  // After the pass (begun, not skipped), however it ended; `outcome` is ok when it
  // drained. Release the lease; after a failure, forget what was read ahead, so that the
  // next pass starts from the stored position.
  virtual void end_pass(const Status& outcome) { (void)outcome; }
};

template <typename Record>
using BatchSourcePtr = std::shared_ptr<BatchSource<Record>>;

// A source that delivers records as they arrive.
template <typename Record>
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // Up to `max_records` records. Waits at most `max_wait` for the first one and returns as
  // soon as it has any (fewer than asked is normal); an empty vector when none came in
  // time or `stop` fired. Once the source is closed and drained: kCancelled.
  virtual Result<std::vector<Record>> receive(size_t max_records, Duration max_wait,
                                              std::stop_token stop) = 0;
  // `handled` were synced or dead-lettered: never deliver them again.
  virtual Status ack(std::span<const Record> handled) = 0;
  // `failed` did not sync because of `reason`: the source may deliver them again.
  virtual Status nack(std::span<const Record> failed, const Status& reason) = 0;
  // No more records; wakes a blocked receive(). Idempotent.
  virtual void close() = 0;
};

template <typename Record>
using StreamSourcePtr = std::shared_ptr<StreamSource<Record>>;

// The seed's "fetch + mark" pair of functions as a BatchSource.
template <typename Record>
class BatchSourceFunctions final : public BatchSource<Record> {
 public:
  using Fetch = std::function<Result<std::vector<Record>>(size_t max_records)>;
  using Mark = std::function<Status(std::span<const Record> handled)>;

  BatchSourceFunctions(Fetch fetch, Mark mark) : fetch_(std::move(fetch)), mark_(std::move(mark)) {
    if (!fetch_) throw std::invalid_argument("BatchSourceFunctions needs a fetch function");
    if (!mark_) throw std::invalid_argument("BatchSourceFunctions needs a mark function");
  }

  Result<std::vector<Record>> fetch(size_t max_records) override { return fetch_(max_records); }
  Status mark(std::span<const Record> handled) override { return mark_(handled); }

 private:
  Fetch fetch_;
  Mark mark_;
};

template <typename Record>
BatchSourcePtr<Record> batch_source_functions(typename BatchSourceFunctions<Record>::Fetch fetch,
                                              typename BatchSourceFunctions<Record>::Mark mark) {
  return std::make_shared<BatchSourceFunctions<Record>>(std::move(fetch), std::move(mark));
}

template <typename Record>
struct ChannelSourceOptions {
  size_t capacity = 1000;           // records waiting at most; push() blocks beyond it
  ClockPtr clock = system_clock();  // receive()'s max_wait is measured here
  // Called by ack() / nack(); both optional (the default accepts and forgets).
  std::function<Status(std::span<const Record> handled)> on_ack;
  std::function<Status(std::span<const Record> failed, const Status& reason)> on_nack;
};

// A bounded in-memory queue as a StreamSource (the seed's README promised one; it did not
// exist). Producers push(); a StreamingCoordinator receives. Records still queued when it
// is closed are delivered before receive() reports kCancelled.
template <typename Record>
class ChannelSource final : public StreamSource<Record> {
 public:
  explicit ChannelSource(ChannelSourceOptions<Record> options = {}) : options_(std::move(options)) {
    if (options_.capacity == 0) throw std::invalid_argument("ChannelSource capacity must be > 0");
    if (!options_.clock) throw std::invalid_argument("ChannelSource needs a clock");
  }

  // Queues `record`, blocking while the channel is full. kCancelled when the channel is
  // closed or `stop` fires first (the record is then not queued).
  Status push(Record record, std::stop_token stop = {}) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, stop, [&] { return closed_ || queue_.size() < options_.capacity; });
    if (closed_) return closed_status();
    if (queue_.size() >= options_.capacity) {
      return Status(StatusCode::kCancelled, "push to ChannelSource interrupted by a stop");
    }
    enqueue(std::move(record));
    return Status();
  }

  // Queues `record` unless the channel is full (kUnavailable) or closed (kCancelled).
  Status try_push(Record record) {
    std::lock_guard lock(mutex_);
    if (closed_) return closed_status();
    if (queue_.size() >= options_.capacity) {
      return Status(StatusCode::kUnavailable,
                    "ChannelSource is full (" + std::to_string(options_.capacity) + " records)");
    }
    enqueue(std::move(record));
    return Status();
  }

  Result<std::vector<Record>> receive(size_t max_records, Duration max_wait,
                                      std::stop_token stop) override {
    const TimePoint deadline = options_.clock->now() + max_wait;
    std::unique_lock lock(mutex_);
    bool deadline_passed = false;
    while (queue_.empty()) {
      if (closed_) return closed_status();
      if (stop.stop_requested() || deadline_passed) return std::vector<Record>();
      deadline_passed = !wait_for_record(lock, deadline, stop);
    }
    const size_t count = std::min(max_records, queue_.size());
    std::vector<Record> records;
    records.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      records.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    not_full_.notify_all();
    return records;
  }

  Status ack(std::span<const Record> handled) override {
    return options_.on_ack ? options_.on_ack(handled) : Status();
  }
  Status nack(std::span<const Record> failed, const Status& reason) override {
    return options_.on_nack ? options_.on_nack(failed, reason) : Status();
  }

  void close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (std::stop_source* receiver : waiting_receivers_) receiver->request_stop();
    waiting_receivers_.clear();
    not_full_.notify_all();
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  size_t capacity() const { return options_.capacity; }

 private:
  static Status closed_status() {
    return Status(StatusCode::kCancelled, "ChannelSource is closed");
  }

  void enqueue(Record record) {
    queue_.push_back(std::move(record));
    // One receiver suffices: it takes everything there is.
    if (!waiting_receivers_.empty()) {
      waiting_receivers_.front()->request_stop();
      waiting_receivers_.erase(waiting_receivers_.begin());
    }
  }

  // Waits on the clock (so a test clock controls max_wait) until the deadline, a push, a
  // close, or `stop`. Returns false when the deadline passed.
  bool wait_for_record(std::unique_lock<std::mutex>& lock, TimePoint deadline,
                       const std::stop_token& stop) {
    std::stop_source wake;
    waiting_receivers_.push_back(&wake);
    lock.unlock();
    bool deadline_reached;
    {
      std::stop_callback forward_stop(stop, [&wake] { wake.request_stop(); });
      deadline_reached = options_.clock->wait_until(deadline, wake.get_token());
    }
    lock.lock();
    std::erase(waiting_receivers_, &wake);
    return !deadline_reached;
  }

  ChannelSourceOptions<Record> options_;
  mutable std::mutex mutex_;
  std::condition_variable_any not_full_;
  std::deque<Record> queue_;
  std::vector<std::stop_source*> waiting_receivers_;  // woken by the next push or close
  bool closed_ = false;
};

}  // namespace courier
