// PollingCoordinator: the fetch → apply → mark loop over a BatchSource. It polls at once
// when started, keeps fetching while batches come back full (a backlog drains without
// waiting), then waits `interval` before the next poll. Records the applier reports synced
// or dead-lettered are marked; failed ones are not, so they are fetched again later
// (at-least-once: an applier must tolerate seeing a record twice). A failed mark is
// reported and its batch is simply fetched again later.
//
//   courier::PollingCoordinator<Event> outbox(source, publish, courier::PollingOptions::fast());
//   if (auto started = outbox.start(); !started.ok()) die(started);
//   ...; outbox.stop();  // finishes and marks the batch in flight, then returns
//
// Thread-safety: every member may be called from any thread. Polls of one coordinator
// never overlap: start() polls on one thread of its own, and run_once() is refused once
// the coordinator was started or while another run_once() runs. The source and applier
// are called from one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
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

struct PollingOptions {
  Duration interval = std::chrono::seconds(5);  // wait after a batch that was not full
  size_t batch_size = 100;                      // max records per fetch, passed to fetch()
  // When longer than `interval`, consecutive fetch errors double the wait (interval, 2×,
  // 4×, …) up to this; otherwise a failed fetch is simply tried again after `interval`.
  Duration max_error_interval = Duration::zero();
  ClockPtr clock = system_clock();  // every wait happens here
  CoordinatorHooks hooks;
  // Fired when stop()'s deadline passes with a batch still in flight. Give its token to
  // the appliers that wait (RetryOptions::stop) so they give up; sync_with_retry does.
  StopSignal abort;

  static PollingOptions fast() {  // for latency-sensitive outboxes
    PollingOptions options;
    options.interval = std::chrono::milliseconds(100);
    return options;
  }
  static PollingOptions slow() {  // for sources that change rarely
    PollingOptions options;
    options.interval = std::chrono::seconds(30);
    return options;
  }
};

template <typename Record>
class PollingCoordinator {
 public:
  PollingCoordinator(BatchSourcePtr<Record> source, ApplierPtr<Record> applier,
                     PollingOptions options = {})
      : source_(std::move(source)),
        applier_(std::move(applier)),
        options_(std::move(options)),
        lifecycle_(options_.clock) {
    if (!source_) throw std::invalid_argument("PollingCoordinator needs a source");
    if (!applier_) throw std::invalid_argument("PollingCoordinator needs an applier");
    if (!options_.clock) throw std::invalid_argument("PollingOptions.clock must be set");
    if (options_.batch_size == 0)
      throw std::invalid_argument("PollingOptions.batch_size must be > 0");
    if (options_.interval < Duration::zero()) {
      throw std::invalid_argument("PollingOptions.interval must not be negative");
    }
  }
  PollingCoordinator(const PollingCoordinator&) = delete;
  PollingCoordinator& operator=(const PollingCoordinator&) = delete;
  ~PollingCoordinator() { stop(); }

  // Polls on a thread of its own until stop() or a fatal apply result. The first poll
  // happens at once. kFailedPrecondition when started before, stopped, or during run_once().
  Status start() {
    return lifecycle_.start(1, [this](size_t) { poll_until_stopped(); });
  }

  // One drain pass on the caller's thread: fetch, apply and mark until a batch comes back
  // short (or fails, or is fatal, or stop() is called). For cron jobs. Not ok only when
  // refused (kFailedPrecondition: started, stopped, or another pass in progress); what
  // went wrong inside the pass is in the counts (RunResult::status()).
  Result<RunResult> run_once() {
    if (Status refused = lifecycle_.begin_pass(); !refused.ok()) return refused;
    PassGuard guard(lifecycle_);
    return drain().counts;
  }

  // Stops polling, lets the batch in flight be applied and marked for up to `deadline`
  // (then fires options.abort and still waits for it), joins, returns. Idempotent and
  // thread-safe; fine before start(). A stopped coordinator cannot be started again.
  void stop(Duration deadline = kDefaultStopDeadline) {
    lifecycle_.stop(deadline, options_.abort, {});
  }

  bool running() const { return lifecycle_.running(); }

  // Everything done so far, by start() and run_once() together.
  RunResult totals() const {
    std::lock_guard lock(totals_mutex_);
    return totals_;
  }

 private:
  struct Pass {
    RunResult counts;
    bool fetch_failed = false;
  };

  void poll_until_stopped() {
    unsigned fetch_errors_in_a_row = 0;
    while (!lifecycle_.stop_requested()) {
      const Pass pass = drain();
      if (!pass.counts.fatal.ok()) {
        lifecycle_.request_stop();
        return;
      }
      fetch_errors_in_a_row = pass.fetch_failed ? fetch_errors_in_a_row + 1 : 0;
      if (!options_.clock->wait_for(wait_after(fetch_errors_in_a_row), lifecycle_.stop_token())) {
        return;
      }
    }
  }

  Duration wait_after(unsigned fetch_errors_in_a_row) const {
    Duration wait = options_.interval;
    if (options_.max_error_interval <= options_.interval) return wait;
    for (unsigned i = 1; i < fetch_errors_in_a_row && wait < options_.max_error_interval; ++i) {
      wait *= 2;
    }
    return std::min(wait, options_.max_error_interval);
  }

  // Fetches and applies batches while they come back full and the previous one made
  // progress (something was marked): a full batch of failing records would otherwise be
  // fetched again at once, in a tight loop.
  Pass drain() {
    Pass pass;
    while (!lifecycle_.stop_requested()) {
      Result<std::vector<Record>> fetched = source_->fetch(options_.batch_size);
      if (!fetched.ok()) {
        pass.fetch_failed = true;
        report_error(pass.counts, Stage::kFetch, fetched.status());
        break;
      }
      const std::vector<Record>& batch = fetched.value();
      if (batch.empty()) break;
      add_fetched(pass.counts, batch.size());
      const bool progressed = apply_and_mark(pass.counts, batch);
      if (!pass.counts.fatal.ok() || !progressed || batch.size() < options_.batch_size) break;
    }
    return pass;
  }

  // True when handled records were marked.
  bool apply_and_mark(RunResult& counts, std::span<const Record> batch) {
    const TimePoint started = options_.clock->now();
    ApplyResult result = applier_->apply(batch);
    if (!result.is_fatal()) {
      if (Status bad = coordinator_detail::check_indices(result, batch.size()); !bad.ok()) {
        result = ApplyResult::fatal_error(std::move(bad));
      }
    }
    if (result.is_fatal()) {
      report_fatal(counts, result.fatal());
      return false;
    }
    bool marked = false;
    if (!result.synced().empty() || !result.dead_lettered().empty()) {
      const Status mark = coordinator_detail::with_handled_records(
          batch, result, [&](std::span<const Record> handled) { return source_->mark(handled); });
      marked = mark.ok();
      if (!mark.ok()) report_error(counts, Stage::kMark, mark);
    }
    const BatchReport report =
        coordinator_detail::report_of(result, batch.size(), options_.clock->now() - started, 0);
    {
      std::lock_guard lock(totals_mutex_);
      coordinator_detail::count_batch(totals_, report, result);
    }
    coordinator_detail::count_batch(counts, report, result);
    if (options_.hooks.on_batch) options_.hooks.on_batch(report);
    return marked;
  }

  void add_fetched(RunResult& counts, size_t records) {
    counts.fetched += records;
    std::lock_guard lock(totals_mutex_);
    totals_.fetched += records;
  }

  void report_error(RunResult& counts, Stage stage, const Status& error) {
    coordinator_detail::count_error(counts, error);
    {
      std::lock_guard lock(totals_mutex_);
      coordinator_detail::count_error(totals_, error);
    }
    if (options_.hooks.on_error) options_.hooks.on_error(stage, error);
  }

  void report_fatal(RunResult& counts, const Status& error) {
    counts.fatal = error;
    {
      std::lock_guard lock(totals_mutex_);
      if (totals_.fatal.ok()) totals_.fatal = error;
    }
    report_error(counts, Stage::kApply, error);
  }

  BatchSourcePtr<Record> source_;
  ApplierPtr<Record> applier_;
  PollingOptions options_;
  mutable std::mutex totals_mutex_;
  RunResult totals_;
  CoordinatorLifecycle lifecycle_;  // last: its threads use the members above
};

}  // namespace courier
