// StreamingCoordinator: N workers, each receiving from a StreamSource into a batch of its
// own, applying it and acking/nacking record by record. A batch is applied when it is full
// or when its oldest record has waited `max_wait`, so a trickle of records is never held
// back waiting for a full batch. Workers do not receive while they apply, so a slow
// applier slows the source: at most workers × batch_size records are in flight, plus what
// the source buffers itself (ChannelSource: its capacity; push() blocks beyond it).
//
//   auto channel = std::make_shared<courier::ChannelSource<Event>>();
//   courier::StreamingCoordinator<Event> stream(channel, publish, {.workers = 4});
//   (void)stream.start();  channel->push(event);  ...;  stream.stop();  // acks in-flight batches
//
// Thread-safety: every member may be called from any thread. With workers > 1 the source
// and the applier are called from several threads at once and must allow it.
#pragma once

#include <chrono>
#include <cstddef>
#include <iterator>
#include <mutex>
#include <span>
#include <stdexcept>
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
  Duration receive_error_interval = std::chrono::seconds(1);  // wait after a receive error
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
  void work(size_t worker) {
    std::vector<Record> batch;
    batch.reserve(options_.batch_size);
    TimePoint oldest{};
    const std::stop_token stop = lifecycle_.stop_token();
    while (!stop.stop_requested()) {
      const TimePoint now = options_.clock->now();
      if (!batch.empty() && now >= oldest + options_.max_wait) {
        if (!flush(batch, worker)) return;
        continue;
      }
      const Duration wait = batch.empty() ? options_.max_wait : oldest + options_.max_wait - now;
      Result<std::vector<Record>> received =
          source_->receive(options_.batch_size - batch.size(), wait, stop);
      if (!received.ok()) {
        if (received.status().code() == StatusCode::kCancelled) break;  // closed and drained
        report_error(Stage::kReceive, received.status());
        if (!options_.clock->wait_for(options_.receive_error_interval, stop)) break;
        continue;
      }
      if (received->empty()) continue;
      if (batch.empty()) oldest = options_.clock->now();
      add_fetched(received->size());
      std::move(received->begin(), received->end(), std::back_inserter(batch));
      if (batch.size() >= options_.batch_size && !flush(batch, worker)) return;
    }
    if (!batch.empty()) flush(batch, worker);  // received before the stop: finish it
  }

  // Applies, acks/nacks and clears `batch`. False after a fatal result (the run stops).
  bool flush(std::vector<Record>& batch, size_t worker) {
    const std::span<const Record> records(batch);
    const TimePoint started = options_.clock->now();
    ApplyResult result = applier_->apply(records);
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
