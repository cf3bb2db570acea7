// PollingCoordinator: the fetch → apply → mark loop over a BatchSource. It polls at once
// when started, keeps fetching while batches come back full (a backlog drains without
// waiting), then waits `interval` (or what `until_next_pass` says: a cron schedule) before
// the next poll. Records the applier reports synced or dead-lettered are marked; failed
// ones are not, so they are fetched again later (at-least-once: an applier must tolerate
// seeing a record twice). A failed mark is reported and its batch is simply fetched again
// later. Each pass is framed by the source's begin_pass()/end_pass() (a lease, a stored
// position); a pass that failed retryably can run again at once with backoff
// (`pass_retry`); the next batch can be read while the current one is applied
// (`read_ahead`). A source or applier that throws fails its pass (kInternal), not the
// process.
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
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/clock.h"
#include "courier/coordinator.h"
#include "courier/retry.h"
#include "courier/source.h"
#include "courier/status.h"

namespace courier {

struct PollingOptions {
  Duration interval = std::chrono::seconds(5);  // wait after a batch that was not full
  size_t batch_size = 100;                      // max records per fetch, passed to fetch()
  // When longer than `interval`, consecutive fetch errors double the wait (interval, 2×,
  // 4×, …) up to this; otherwise a failed fetch is simply tried again after `interval`.
  Duration max_error_interval = Duration::zero();
  // When set, replaces `interval`: called when a pass ended and again after each wait, it
  // answers how long to wait still; the next pass starts once it answers zero or less. For
  // schedules on the wall clock (cron), re-checked as that clock moves.
  std::function<Duration()> until_next_pass;
  // A pass that ended with a retryable error (begin_pass, fetch or mark failing, records
  // failing retryably) runs again after this policy's backoff, up to max_attempts passes
  // in all, before the coordinator waits for the next pass. Default: no retry.
  RetryPolicy pass_retry{.max_attempts = 1};
  // Optional: told before each retry's wait (attempt, delay, RunResult::cause(), records).
  RetryHook on_pass_retry;
  // Fetch the next batch while the current one is applied (on a helper thread). Only for
  // sources whose fetch continues after the previous fetch, like a cursor, rather than
  // after the last mark. A batch read ahead of one that failed or of a stop is dropped:
  // unmarked, it is fetched again.
  bool read_ahead = false;
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
  // short (or fails, or is fatal, or stop() is called), retried as `pass_retry` says. For
  // cron jobs. Not ok only when refused (kFailedPrecondition: started, stopped, or another
  // pass in progress); what went wrong inside the pass is in the counts
  // (RunResult::status()) and in hooks.on_pass.
  Result<RunResult> run_once() {
    if (Status refused = lifecycle_.begin_pass(); !refused.ok()) return refused;
    PassGuard guard(lifecycle_);
    return run_pass().counts;
  }

  // Stops polling, lets the batch in flight be applied and marked for up to `deadline`
  // (then fires options.abort and still waits for it), joins, returns. Idempotent and
  // thread-safe; fine before start(). A stopped coordinator cannot be started again.
  void stop(Duration deadline = kDefaultStopDeadline) {
    lifecycle_.stop(deadline, options_.abort, {});
  }

  // Asks the pass in progress (start()'s or run_once()'s) to end after the batch in flight,
  // and ends any wait, without waiting itself: callable from a signal handler's thread or
  // a stop_callback. Later passes are refused, as after stop().
  void request_stop() { lifecycle_.request_stop(); }

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
    bool skipped = false;
  };

  void poll_until_stopped() {
    unsigned fetch_errors_in_a_row = 0;
    while (!lifecycle_.stop_requested()) {
      const Pass pass = run_pass();
      if (!pass.counts.fatal.ok()) {
        lifecycle_.request_stop();
        return;
      }
      fetch_errors_in_a_row = pass.fetch_failed ? fetch_errors_in_a_row + 1 : 0;
      if (!wait_for_next_pass(fetch_errors_in_a_row)) return;
    }
  }

  bool wait_for_next_pass(unsigned fetch_errors_in_a_row) {
    const std::stop_token stop = lifecycle_.stop_token();
    if (!options_.until_next_pass) {
      return options_.clock->wait_for(wait_after(fetch_errors_in_a_row), stop);
    }
    for (Duration left = options_.until_next_pass(); left > Duration::zero();
         left = options_.until_next_pass()) {
      if (!options_.clock->wait_for(left, stop)) return false;
    }
    return !stop.stop_requested();
  }

  Duration wait_after(unsigned fetch_errors_in_a_row) const {
    Duration wait = options_.interval;
    if (options_.max_error_interval <= options_.interval) return wait;
    for (unsigned i = 1; i < fetch_errors_in_a_row && wait < options_.max_error_interval; ++i) {
      wait *= 2;
    }
    return std::min(wait, options_.max_error_interval);
  }

  // A pass and its retries, reported to hooks.on_pass.
  Pass run_pass() {
    const TimePoint started = options_.clock->now();
    const RetryOptions retry{.policy = options_.pass_retry,
                             .clock = options_.clock,
                             .stop = lifecycle_.stop_token(),
                             .on_retry = options_.on_pass_retry};
    Pass pass;
    Status status;
    std::optional<RetryStep> gave_up;
    unsigned attempt = 1;
    for (;; ++attempt) {
      pass = attempt_pass();
      status = pass.counts.status();
      if (status.ok() || !status.retryable() || pass.skipped || !pass.counts.fatal.ok()) break;
      const RetryStep step =
          backoff_before_retry(retry, attempt, pass.counts.cause(), pass.counts.fetched);
      if (step != RetryStep::kRetry) {
        status = final_retry_error(step, status, attempt);
        gave_up = step;
        break;
      }
    }
    if (options_.hooks.on_pass) {
      options_.hooks.on_pass(PassReport{.counts = pass.counts,
                                        .status = status,
                                        .attempts = attempt,
                                        .skipped = pass.skipped,
                                        .duration = options_.clock->now() - started,
                                        .gave_up = gave_up});
    }
    return pass;
  }

  // begin_pass, drain, end_pass.
  Pass attempt_pass() {
    Pass pass;
    Result<bool> begun = guarded("begin_pass", [&] { return source_->begin_pass(); });
    if (!begun.ok()) {
      pass.fetch_failed = true;
      report_error(pass.counts, Stage::kFetch, begun.status());
      return pass;
    }
    if (!*begun) {
      pass.skipped = true;
      return pass;
    }
    drain(pass);
    const Status outcome = pass.counts.status();
    (void)guarded("end_pass", [&] {
      source_->end_pass(outcome);
      return Status();
    });
    return pass;
  }

  // Calls a source function, turning an exception into a kInternal error.
  template <typename Call>
  auto guarded(const char* what, Call&& call) -> decltype(call()) {
    try {
      return call();
    } catch (const std::exception& thrown) {
      return Status(StatusCode::kInternal,
                    std::string("the source's ") + what + " threw: " + thrown.what());
    }
  }

  Result<std::vector<Record>> fetch() {
    return guarded("fetch", [&] { return source_->fetch(options_.batch_size); });
  }

  // Fetches and applies batches while they come back full and the previous one made
  // progress (something was marked): a full batch of failing records would otherwise be
  // fetched again at once, in a tight loop.
  void drain(Pass& pass) {
    std::optional<std::future<Result<std::vector<Record>>>> ahead;
    while (!lifecycle_.stop_requested()) {
      Result<std::vector<Record>> fetched = ahead ? ahead->get() : fetch();
      ahead.reset();
      if (!fetched.ok()) {
        pass.fetch_failed = true;
        report_error(pass.counts, Stage::kFetch, fetched.status());
        break;
      }
      const std::vector<Record>& batch = fetched.value();
      if (batch.empty()) break;
      add_fetched(pass.counts, batch.size());
      const bool full = batch.size() >= options_.batch_size;
      if (options_.read_ahead && full && !lifecycle_.stop_requested()) {
        ahead = std::async(std::launch::async, [this] { return fetch(); });
      }
      const bool progressed = apply_and_mark(pass.counts, batch);
      if (!pass.counts.fatal.ok() || !progressed || !full) break;
    }
    if (ahead) ahead->wait();  // read ahead of a failure or a stop: dropped, fetched again
  }

  // True when handled records were marked.
  bool apply_and_mark(RunResult& counts, std::span<const Record> batch) {
    const TimePoint started = options_.clock->now();
    ApplyResult result = apply(batch);
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

  ApplyResult apply(std::span<const Record> batch) {
    try {
      return applier_->apply(batch);
    } catch (const std::exception& thrown) {
      return ApplyResult::all_failed(
          batch.size(),
          Status(StatusCode::kInternal, std::string("the applier threw: ") + thrown.what()));
    }
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
