// Dead letters: records that failed for good, kept with the reason so that they can be
// inspected and replayed later instead of blocking the records behind them. A
// DeadLetterApplier puts an applier's permanent failures into a DeadLetterStore and reports
// them as dead-lettered, which counts as handled: the coordinator marks/acks them, so they
// are never fetched (and dead-lettered) again.
//
//   auto store = std::make_shared<courier::InMemoryDeadLetterStore>();
//   auto applier = std::make_shared<courier::DeadLetterApplier<Order>>(
//       write_orders, store, courier::DeadLetterOptions<Order>{.encode = to_json});
//
// Stores: InMemoryDeadLetterStore (here, bounded), RedisStreamDeadLetterStore and
// PostgresTableDeadLetterStore (src/core/dead_letter/, library courier_dead_letter).
//
// Thread-safety: DeadLetter is a plain value. InMemoryDeadLetterStore is safe to use from
// any number of threads at once; other stores say so in their headers (the Redis and
// Postgres ones: one thread at a time, like the client they use). DeadLetterApplier::apply()
// may run on several threads at once when its inner applier, its store and its options'
// functions allow it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/status.h"

namespace courier {

using WallTime = std::chrono::system_clock::time_point;

// One record that failed for good, with what is known about its failure.
struct DeadLetter {
  std::string id;            // assigned by the store on send (ignored when sending)
  std::string payload;       // the record, encoded by the caller's codec; any bytes
  std::string error;         // the failure's message
  std::string error_code;    // status_code_name() of the failure, e.g. "invalid_argument"
  std::string error_detail;  // Status::detail(): a SQLSTATE, a Redis error prefix, or empty
  int attempts = 1;          // times this record was dead-lettered, this one included
  WallTime first_failure{};  // when it was dead-lettered the first time
  WallTime last_failure{};   // when it was dead-lettered this time
  std::map<std::string, std::string> metadata;  // where it came from: stream, table, entry id…

  friend bool operator==(const DeadLetter&, const DeadLetter&) = default;
};

// Where dead letters are kept. Letters come back oldest first and stay until removed, so a
// reader that crashes between receive() and remove() sees them again (at least once).
class DeadLetterStore {
 public:
  virtual ~DeadLetterStore() = default;

  // Stores every letter of the call, or none of them when the store says so (the Redis
  // and Postgres stores do); returns the ids assigned, in the order of `letters`. A
  // failure with a retryable status may be retried; sending again can then store a letter
  // twice when the first call's outcome was unknown.
  virtual Result<std::vector<std::string>> send(std::span<const DeadLetter> letters) = 0;

  // Up to `max` of the oldest letters, oldest first, without removing them.
  virtual Result<std::vector<DeadLetter>> receive(size_t max) = 0;

  // Removes the letters with these ids; ids not (or no longer) stored are ignored. An id
  // that cannot be one of this store's may be refused with kInvalidArgument.
  virtual Status remove(std::span<const std::string> ids) = 0;

  // How many letters the store holds.
  virtual Result<size_t> count() = 0;

  // Letters this store object discarded, oldest first, to stay within its bound since it
  // was made. A bounded store must count them: losing letters is never silent.
  virtual uint64_t dropped_count() const = 0;
};

using DeadLetterStorePtr = std::shared_ptr<DeadLetterStore>;

// Holds at most `capacity` letters in memory; when full, each new letter evicts the oldest
// (counted by dropped_count() and reported to the optional drop hook, e.g. to log a
// warning — the core library does no logging of its own). Letters are lost when the process ends:
// for tests, and for pipelines where a dead letter is worth a log line but not a database.
class InMemoryDeadLetterStore final : public DeadLetterStore {
 public:
  static constexpr size_t kDefaultCapacity = 10'000;

  // Called after each drop with the drops so far and the capacity, under the store's lock:
  // it must not call back into the store.
  using DropHook = std::function<void(uint64_t dropped_so_far, size_t capacity)>;

  // Throws std::invalid_argument for a capacity of 0.
  explicit InMemoryDeadLetterStore(size_t capacity = kDefaultCapacity, DropHook on_drop = {});

  // Never fails. Ids are decimal sequence numbers, "1", "2", …, increasing with each letter.
  Result<std::vector<std::string>> send(std::span<const DeadLetter> letters) override;
  Result<std::vector<DeadLetter>> receive(size_t max) override;
  Status remove(std::span<const std::string> ids) override;
  Result<size_t> count() override;
  uint64_t dropped_count() const override;

  size_t capacity() const { return capacity_; }

 private:
  void evict_oldest_locked();

  const size_t capacity_;
  const DropHook on_drop_;
  mutable std::mutex mutex_;
  std::deque<DeadLetter> letters_;  // oldest first; ids increase from front to back
  uint64_t next_id_ = 1;
  uint64_t dropped_ = 0;
};

// Which failures a DeadLetterApplier dead-letters.
enum class DeadLetterPolicy {
  // Only failures that retrying cannot fix (Status::permanent()); the others stay failed,
  // so the record is fetched and tried again later.
  kPermanentFailures,
  // Every failure. For use behind a RetryingApplier: what still fails once its retries are
  // exhausted goes to the dead-letter queue rather than back to the source.
  kAllFailures,
};

// What is known of a record's earlier dead-lettering, e.g. of a record replayed from a
// dead letter: that letter's attempts and first_failure.
struct DeadLetterHistory {
  int attempts = 0;
  WallTime first_failure{};
};

template <typename Record>
struct DeadLetterOptions {
  // Required: the record as the letter's payload (any bytes, e.g. JSON or protobuf).
  std::function<std::string(const Record&)> encode;
  // Optional: where the record came from (stream, table, entry id…), kept with the letter.
  std::function<std::map<std::string, std::string>(const Record&)> metadata;
  // Optional: the record's earlier dead-lettering, if any; without it attempts is 1.
  std::function<std::optional<DeadLetterHistory>(const Record&)> history;
  DeadLetterPolicy policy = DeadLetterPolicy::kPermanentFailures;
  // The time stamped on letters; injected by tests.
  std::function<WallTime()> now = [] { return std::chrono::system_clock::now(); };
};

// Applies each batch with the inner applier, sends the records it reports as failed (per
// the policy) to the store in one send() per batch, and reports them as dead-lettered.
// When the store fails, those records are reported failed with the store's status (the
// code decides whether they are retried), their own error named in the message: a record
// is never dropped. Synced, already dead-lettered and fatal outcomes pass through as they
// are. Throws std::invalid_argument when the inner applier, the store or encode is missing.
template <typename Record>
class DeadLetterApplier final : public Applier<Record> {
 public:
  DeadLetterApplier(ApplierPtr<Record> inner, DeadLetterStorePtr store,
                    DeadLetterOptions<Record> options)
      : inner_(require_inner_applier(std::move(inner), "DeadLetterApplier")),
        store_(std::move(store)),
        options_(std::move(options)) {
    if (!store_) throw std::invalid_argument("DeadLetterApplier needs a dead-letter store");
    if (!options_.encode)
      throw std::invalid_argument("DeadLetterApplier needs an encode function for payloads");
  }

  ApplyResult apply(std::span<const Record> batch) override {
    ApplyResult inner_result = inner_->apply(batch);
    if (inner_result.is_fatal()) return inner_result;
    ApplyResult outcome;
    std::vector<RecordFailure> to_dead_letter;
    for (size_t index : inner_result.synced()) outcome.add_synced(index);
    for (size_t index : inner_result.dead_lettered()) outcome.add_dead_lettered(index);
    for (const RecordFailure& failure : inner_result.failed()) {
      if (failure.index >= batch.size()) return index_out_of_range(failure.index, batch.size());
      if (should_dead_letter(failure.error)) {
        to_dead_letter.push_back(failure);
      } else {
        outcome.add_failed(failure.index, failure.error);
      }
    }
    if (!to_dead_letter.empty()) dead_letter(batch, to_dead_letter, outcome);
    return outcome;
  }

 private:
  bool should_dead_letter(const Status& error) const {
    return options_.policy == DeadLetterPolicy::kAllFailures || error.permanent();
  }

  void dead_letter(std::span<const Record> batch, const std::vector<RecordFailure>& failures,
                   ApplyResult& outcome) {
    const WallTime now = options_.now();
    std::vector<DeadLetter> letters;
    letters.reserve(failures.size());
    for (const RecordFailure& failure : failures)
      letters.push_back(letter_for(batch[failure.index], failure.error, now));
    Result<std::vector<std::string>> sent = store_->send(std::span<const DeadLetter>(letters));
    for (const RecordFailure& failure : failures) {
      if (sent.ok()) {
        outcome.add_dead_lettered(failure.index);
      } else {
        outcome.add_failed(failure.index, store_failure(sent.status(), failure.error));
      }
    }
  }

  DeadLetter letter_for(const Record& record, const Status& error, WallTime now) const {
    DeadLetter letter;
    letter.payload = options_.encode(record);
    letter.error = error.message();
    letter.error_code = std::string(status_code_name(error.code()));
    letter.error_detail = error.detail();
    letter.first_failure = now;
    letter.last_failure = now;
    if (options_.metadata) letter.metadata = options_.metadata(record);
    std::optional<DeadLetterHistory> earlier =
        options_.history ? options_.history(record) : std::nullopt;
    if (earlier) {
      letter.attempts = earlier->attempts + 1;
      letter.first_failure = earlier->first_failure;
    }
    return letter;
  }

  // The store's code decides what happens next (a retryable one lets the record be tried
  // again); the record's own error is kept in the message for whoever reads the log.
  static Status store_failure(const Status& store_error, const Status& record_error) {
    return Status(store_error.code(),
                  "could not dead-letter the record (" + record_error.to_string() +
                      "): dead-letter store: " + store_error.message(),
                  store_error.detail());
  }

  static ApplyResult index_out_of_range(size_t index, size_t batch_size) {
    return ApplyResult::fatal_error(
        Status(StatusCode::kInternal, "DeadLetterApplier: inner applier reported record " +
                                          std::to_string(index) + " of a batch of " +
                                          std::to_string(batch_size)));
  }

  ApplierPtr<Record> inner_;
  DeadLetterStorePtr store_;
  DeadLetterOptions<Record> options_;
};

}  // namespace courier
