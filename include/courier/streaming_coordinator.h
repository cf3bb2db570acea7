// StreamingCoordinator: N workers, each receiving from a StreamSource into a batch of its
// own, applying it and acking/nacking record by record. A batch is applied when it is full
// (batch_size records, or max_batch_bytes) or when its oldest record has waited
// `max_wait`, so a trickle of records is never held back waiting for a full batch; with
// `apply_when_drained` it is applied as soon as a receive returns fewer records than asked
// (nothing more is waiting), so latency at low rates is one round trip, not a timer. Workers
// do not receive while they apply, so a slow applier slows the source: at most
// workers × batch_size records are in flight, plus what the source buffers itself
// (ChannelSource: its capacity; push() blocks beyond it). Records are acked only after
// the applier returned them synced or dead-lettered: an applier that commits before it
// returns gets ack-after-commit. A source or applier that throws does not end the
// process: the exception is reported as a kInternal error and the batch nacked.
//
//   auto channel = std::make_shared<courier::ChannelSource<Event>>();
//   courier::StreamingCoordinator<Event> stream(channel, publish, {.workers = 4});
//   (void)stream.start();  channel->push(event);  ...;  stream.stop();  // acks in-flight batches
//
// Thread-safety: every member may be called from any thread. With workers > 1 the source
// and the applier are called from several threads at once and must allow it.
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/clock.h"
#include "courier/coordinator.h"
#include "courier/source.h"
#include "courier/status.h"

namespace courier {

struct StreamingOptions {
  size_t workers = 1;       // threads receiving and applying in parallel
  size_t batch_size = 100;  // a batch is applied once it holds this many records…
  Duration max_wait = std::chrono::milliseconds(100);  // …or its oldest has waited this long
  // …or, when set, as soon as a receive returns fewer records than asked for: the source
  // had nothing more waiting, so waiting longer only adds latency. Under load the batches
  // still fill up by themselves (records arrive while the previous batch is applied).
  bool apply_when_drained = false;
  Duration receive_error_interval = std::chrono::seconds(1);  // wait after a receive error…
  // …doubled after each further error in a row up to this, when longer (a source whose
  // server is down is not asked again at once); otherwise the wait stays fixed.
  Duration max_receive_error_interval = Duration::zero();
  // A batch also closes at this many bytes (0: no cap), for records with a
  // `size_t byte_size() const` member. A record that would pass the cap starts the next
  // batch (a batch's first record always joins), and receive() is asked for about as many
  // records as fit, by the average size seen so far.
  size_t max_batch_bytes = 0;
  ClockPtr clock = system_clock();
  CoordinatorHooks hooks;
  // Fired when stop()'s deadline passes with batches still in flight (see PollingOptions).
  StopSignal abort;
};

template <typename Record>
class StreamingCoordinator {
 public:
  StreamingCoordinator(StreamSourcePtr<Record> source, ApplierPtr<Record> applier,
                       StreamingOptions options = {})
      : source_(std::move(source)),
        applier_(std::move(applier)),
        options_(std::move(options)),
        lifecycle_(options_.clock) {
    if (!source_) throw std::invalid_argument("StreamingCoordinator needs a source");
    if (!applier_) throw std::invalid_argument("StreamingCoordinator needs an applier");
    if (!options_.clock) throw std::invalid_argument("StreamingOptions.clock must be set");
    if (options_.workers == 0) throw std::invalid_argument("StreamingOptions.workers must be > 0");
    if (options_.batch_size == 0) {
      throw std::invalid_argument("StreamingOptions.batch_size must be > 0");
    }
    if (options_.max_wait <= Duration::zero()) {
      throw std::invalid_argument("StreamingOptions.max_wait must be > 0");
    }
    if (options_.max_batch_bytes > 0 && !kHasByteSize) {
      throw std::invalid_argument(
          "StreamingOptions.max_batch_bytes needs records with byte_size()");
    }
  }
  StreamingCoordinator(const StreamingCoordinator&) = delete;
  StreamingCoordinator& operator=(const StreamingCoordinator&) = delete;
  ~StreamingCoordinator() { stop(); }

  // Starts the workers. They run until stop(), a fatal apply result, or the source
  // reporting itself closed. kFailedPrecondition when started before or stopped.
  Status start() {
    return lifecycle_.start(options_.workers, [this](size_t worker) { work(worker); });
  }

  // Stops receiving; each worker applies and acks the records it already holds (for up to
  // `deadline`, then options.abort fires and it is still waited for); joins; closes the
  // source. Idempotent and thread-safe; fine before start() (it then only closes the source).
  void stop(Duration deadline = kDefaultStopDeadline) {
    lifecycle_.stop(deadline, options_.abort, [this] { source_->close(); });
  }

  bool running() const { return lifecycle_.running(); }

  RunResult totals() const {
    std::lock_guard lock(totals_mutex_);
    return totals_;
  }

 private:
  static constexpr bool kHasByteSize = requires(const Record& record) {
    { record.byte_size() } -> std::convertible_to<size_t>;
  };

  static size_t bytes_of(const Record& record) {
    if constexpr (kHasByteSize) {
      return record.byte_size();
    } else {
      return 0;
    }
  }

  // The batch a worker is filling, and what it received beyond the batch's caps (the
  // start of the next one).
  struct Assembly {
    std::vector<Record> batch;
    std::vector<Record> carried;
    size_t bytes = 0;
    TimePoint oldest{};
    bool drained = false;         // the last receive returned fewer records than asked for
    uint64_t bytes_received = 0;  // for the average record size
    uint64_t records_received = 0;
  };

  bool full(const Assembly& a) const {
    return !a.carried.empty() || (options_.apply_when_drained && a.drained) ||
           a.batch.size() >= options_.batch_size ||
           (options_.max_batch_bytes > 0 && a.bytes >= options_.max_batch_bytes);
  }

  // How many records to ask for: the batch's room, and under a byte cap about as many of
  // the average size as fit (at least one).
  size_t room(const Assembly& a) const {
    const size_t records = options_.batch_size - a.batch.size();
    if (options_.max_batch_bytes == 0 || a.records_received == 0) return records;
    const size_t average = std::max<uint64_t>(1, a.bytes_received / a.records_received);
    const size_t bytes_left =
        options_.max_batch_bytes - std::min(a.bytes, options_.max_batch_bytes);
    return std::clamp<size_t>(bytes_left / average, 1, records);
  }

  // Records join the batch while it has room; the rest are carried to the next batch.
  void add(Assembly& a, std::vector<Record>&& records) {
    if (a.batch.empty() && !records.empty()) a.oldest = options_.clock->now();
    for (Record& record : records) {
      const size_t bytes = bytes_of(record);
      const bool fits = a.carried.empty() && a.batch.size() < options_.batch_size &&
                        (a.batch.empty() || options_.max_batch_bytes == 0 ||
                         a.bytes + bytes <= options_.max_batch_bytes);
      if (fits) {
        a.bytes += bytes;
        a.batch.push_back(std::move(record));
      } else {
        a.carried.push_back(std::move(record));
      }
    }
  }

  // Applies the batch (see flush) and starts the next one with the carried records.
  bool flush_and_continue(Assembly& a, size_t worker) {
    const bool go_on = flush(a.batch, worker);
    a.bytes = 0;
    a.drained = false;
    std::vector<Record> carried = std::move(a.carried);
    a.carried.clear();
    add(a, std::move(carried));
    return go_on;
  }

  Duration receive_error_wait(unsigned errors_in_a_row) const {
    Duration wait = options_.receive_error_interval;
    for (unsigned i = 1; i < errors_in_a_row && wait < options_.max_receive_error_interval; ++i) {
      wait *= 2;
    }
    return std::max(options_.receive_error_interval,
                    std::min(wait, options_.max_receive_error_interval));
  }

  Result<std::vector<Record>> receive(size_t max_records, Duration wait, std::stop_token stop) {
    try {
      return source_->receive(max_records, wait, stop);
    } catch (const std::exception& thrown) {
      return Status(StatusCode::kInternal, std::string("the source threw: ") + thrown.what());
    }
  }

  void work(size_t worker) {
    Assembly a;
    a.batch.reserve(options_.batch_size);
    unsigned receive_errors = 0;
    const std::stop_token stop = lifecycle_.stop_token();
    while (!stop.stop_requested()) {
      const TimePoint now = options_.clock->now();
      if (!a.batch.empty() && (full(a) || now >= a.oldest + options_.max_wait)) {
        if (!flush_and_continue(a, worker)) return;
        continue;
      }
      const Duration wait =
          a.batch.empty() ? options_.max_wait : a.oldest + options_.max_wait - now;
      const size_t asked = room(a);
      Result<std::vector<Record>> received = receive(asked, wait, stop);
      if (!received.ok()) {
        if (received.status().code() == StatusCode::kCancelled) break;  // closed and drained
        report_error(Stage::kReceive, received.status());
        if (!options_.clock->wait_for(receive_error_wait(++receive_errors), stop)) break;
        continue;
      }
      receive_errors = 0;
      a.drained = received->size() < asked;
      if (received->empty()) continue;
      add_fetched(received->size());
      a.records_received += received->size();
      for (const Record& record : *received) a.bytes_received += bytes_of(record);
      add(a, std::move(*received));
    }
    // Received before the stop: finish the batch; what was carried beyond it is handed back.
    if (!a.batch.empty()) flush(a.batch, worker);
    if (!a.carried.empty()) {
      nack(a.carried, Status(StatusCode::kCancelled, "stopped before the record was applied"));
    }
  }

  ApplyResult apply(std::span<const Record> records) {
    try {
      return applier_->apply(records);
    } catch (const std::exception& thrown) {
      Status error(StatusCode::kInternal, std::string("the applier threw: ") + thrown.what());
      report_error(Stage::kApply, error);
      return ApplyResult::all_failed(records.size(), error);
    }
  }

  // Applies, acks/nacks and clears `batch`. False after a fatal result (the run stops).
  bool flush(std::vector<Record>& batch, size_t worker) {
    const std::span<const Record> records(batch);
    const TimePoint started = options_.clock->now();
    ApplyResult result = apply(records);
    if (!result.is_fatal()) {
      if (Status bad = coordinator_detail::check_indices(result, batch.size()); !bad.ok()) {
        result = ApplyResult::fatal_error(std::move(bad));
      }
    }
    if (result.is_fatal()) {
      report_fatal(result.fatal());
      nack(records, result.fatal());
      lifecycle_.request_stop();
      batch.clear();
      return false;
    }
    if (!result.synced().empty() || !result.dead_lettered().empty()) {
      const Status acked = coordinator_detail::with_handled_records(
          records, result, [&](std::span<const Record> handled) { return source_->ack(handled); });
      if (!acked.ok()) report_error(Stage::kAck, acked);
    }
    for (const RecordFailure& failure : result.failed()) {
      nack(records.subspan(failure.index, 1), failure.error);
    }
    const BatchReport report = coordinator_detail::report_of(
        result, batch.size(), options_.clock->now() - started, worker);
    {
      std::lock_guard lock(totals_mutex_);
      coordinator_detail::count_batch(totals_, report, result);
    }
    if (options_.hooks.on_batch) options_.hooks.on_batch(report);
    batch.clear();
    return true;
  }

  void nack(std::span<const Record> records, const Status& reason) {
    if (Status nacked = source_->nack(records, reason); !nacked.ok()) {
      report_error(Stage::kNack, nacked);
    }
  }

  void add_fetched(size_t records) {
    std::lock_guard lock(totals_mutex_);
    totals_.fetched += records;
  }

  void report_error(Stage stage, const Status& error) {
    {
      std::lock_guard lock(totals_mutex_);
      coordinator_detail::count_error(totals_, error);
    }
    if (options_.hooks.on_error) options_.hooks.on_error(stage, error);
  }

  void report_fatal(const Status& error) {
    {
      std::lock_guard lock(totals_mutex_);
      if (totals_.fatal.ok()) totals_.fatal = error;
    }
    report_error(Stage::kApply, error);
  }

  StreamSourcePtr<Record> source_;
  ApplierPtr<Record> applier_;
  StreamingOptions options_;
  mutable std::mutex totals_mutex_;
  RunResult totals_;
  CoordinatorLifecycle lifecycle_;  // last: its threads use the members above
};

}  // namespace courier
