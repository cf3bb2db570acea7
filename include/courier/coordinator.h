// What the polling and streaming coordinators share: the hooks they report through, the
// counts they keep, and their lifecycle (start on own threads, stop idempotently with a
// deadline for the batch in flight).
//
//   courier::CoordinatorHooks hooks;
//   hooks.on_batch = [&](const courier::BatchReport& b) { latency.observe(b.latency); };
//   hooks.on_error = [&](courier::Stage s, const courier::Status& e) { log(stage_name(s), e); };
//
// Thread-safety: BatchReport and RunResult are plain values. Hooks are called on the
// coordinator's threads (several at once for a streaming coordinator with several
// workers), so they must be thread-safe; they must not throw, and must be quick.
// CoordinatorLifecycle: every member may be called from any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/clock.h"
#include "courier/retry.h"
#include "courier/status.h"

namespace courier {

// How long stop() lets the batch in flight finish and be marked/acked by default.
inline constexpr Duration kDefaultStopDeadline = std::chrono::seconds(30);

// Where an error reported to on_error happened.
enum class Stage { kFetch, kReceive, kApply, kMark, kAck, kNack };

constexpr std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::kFetch:
      return "fetch";
    case Stage::kReceive:
      return "receive";
    case Stage::kApply:
      return "apply";
    case Stage::kMark:
      return "mark";
    case Stage::kAck:
      return "ack";
    case Stage::kNack:
      return "nack";
  }
  return "unknown";
}

// One applied batch, reported after it was marked/acked.
struct BatchReport {
  size_t records = 0;  // in the batch
  size_t synced = 0;
  size_t dead_lettered = 0;
  size_t failed = 0;
  Duration latency{};  // from the batch being complete to its mark/ack returning
  size_t worker = 0;   // streaming worker index; 0 for a polling coordinator
};

// Counts of one run_once() pass, or of everything a coordinator did so far (totals()).
struct RunResult {
  size_t batches = 0;  // applied batches
  size_t fetched = 0;  // records fetched / received
  size_t synced = 0;
  size_t dead_lettered = 0;  // handled too: marked/acked, never fetched again
  size_t failed = 0;         // not marked: fetched again later (at-least-once)
  size_t errors = 0;         // fetch/receive, mark/ack/nack errors and fatal apply results
  Status first_error;        // the first of those errors (ok when errors == 0)
  Status fatal;              // the fatal apply result that stopped the run, if any
  Status first_failure;      // why the first failed record failed (ok when failed == 0)

  // Ok when every fetched record was handled and nothing went wrong; else the fatal
  // error, the first error, or (when only records failed) the first record's failure
  // with the count in its message.
  Status status() const {
    if (!fatal.ok() || !first_error.ok()) return cause();
    if (failed > 0) {
      return Status(first_failure.code(),
                    std::to_string(failed) + " of " + std::to_string(fetched) +
                        " records failed and were left to be fetched again; the first: " +
                        first_failure.message(),
                    first_failure.detail());
    }
    return Status();
  }
  bool ok() const { return status().ok(); }
  // What status() is about, without the counts: the fatal error, the first error, or the
  // first record's failure; ok when nothing went wrong.
  Status cause() const {
    if (!fatal.ok()) return fatal;
    if (!first_error.ok()) return first_error;
    return failed > 0 ? first_failure : Status();
  }
};

// One pass of a PollingCoordinator, retries included, reported when it ended.
struct PassReport {
  RunResult counts;  // of the last attempt
  Status status;     // ok when it drained; else why not (after retries: "gave up after…")
  unsigned attempts = 0;
  bool skipped = false;  // begin_pass() said the work is someone else's
  Duration duration{};   // from the first attempt's start to the end of the last
  // Set when the retries ended the pass (kExhausted or kStopped): `status` is then
  // final_retry_error() of the last attempt's error.
  std::optional<RetryStep> gave_up;
};

struct CoordinatorHooks {
  std::function<void(const BatchReport&)> on_batch;  // optional
  // Fetch/receive errors, mark/ack/nack errors, and a fatal apply result. Optional.
  std::function<void(Stage, const Status&)> on_error;
  // After every pass of a PollingCoordinator (its run_once() passes too). Optional.
  std::function<void(const PassReport&)> on_pass;
};

namespace coordinator_detail {

// Outcome counts of one batch; kInternal fatal when the applier reported an index outside
// the batch (a bug in that applier).
inline Status check_indices(const ApplyResult& result, size_t batch_size) {
  auto inside = [&](size_t index) { return index < batch_size; };
  bool ok = std::all_of(result.synced().begin(), result.synced().end(), inside) &&
            std::all_of(result.dead_lettered().begin(), result.dead_lettered().end(), inside);
  for (const RecordFailure& failure : result.failed()) ok = ok && inside(failure.index);
  if (ok) return Status();
  return Status(StatusCode::kInternal,
                "the applier reported a record outside its batch of " + std::to_string(batch_size));
}

// Calls `use` with the records `result` reports handled (synced or dead-lettered), in
// batch order; the batch itself when all were (the common case: no copy).
template <typename Record, typename Use>
auto with_handled_records(std::span<const Record> batch, const ApplyResult& result, Use&& use) {
  const size_t handled = result.synced().size() + result.dead_lettered().size();
  if (handled == batch.size() && result.failed().empty()) return use(batch);
  std::vector<bool> is_handled(batch.size(), false);
  for (size_t index : result.synced()) is_handled[index] = true;
  for (size_t index : result.dead_lettered()) is_handled[index] = true;
  std::vector<Record> records;
  records.reserve(handled);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (is_handled[i]) records.push_back(batch[i]);
  }
  return use(std::span<const Record>(records));
}

inline BatchReport report_of(const ApplyResult& result, size_t records, Duration latency,
                             size_t worker) {
  return BatchReport{records,
                     result.synced().size(),
                     result.dead_lettered().size(),
                     result.failed().size(),
                     latency,
                     worker};
}

inline void count_batch(RunResult& counts, const BatchReport& batch, const ApplyResult& result) {
  ++counts.batches;
  counts.synced += batch.synced;
  counts.dead_lettered += batch.dead_lettered;
  counts.failed += batch.failed;
  if (counts.first_failure.ok() && !result.failed().empty()) {
    counts.first_failure = result.failed().front().error;
  }
}

inline void count_error(RunResult& counts, const Status& error) {
  if (counts.first_error.ok()) counts.first_error = error;
  ++counts.errors;
}

}  // namespace coordinator_detail

// The start/stop state machine both coordinators use. start() runs bodies on threads of
// their own; begin_pass() lets one caller-thread pass run instead (run_once). stop() asks
// every body to stop (stop_token()), waits up to a deadline for them to finish, fires
// `abort` when the deadline passes, then waits for them and joins. Idempotent; a second or
// concurrent stop() returns once the first one has finished. Called from a body's own
// thread (a hook), it only requests the stop: joining itself would deadlock.
class CoordinatorLifecycle {
 public:
  explicit CoordinatorLifecycle(ClockPtr clock) : clock_(std::move(clock)) {}
  CoordinatorLifecycle(const CoordinatorLifecycle&) = delete;
  CoordinatorLifecycle& operator=(const CoordinatorLifecycle&) = delete;
  ~CoordinatorLifecycle() { stop(Duration::zero(), StopSignal(), {}); }

  // kFailedPrecondition when started before, stopped, or a pass is in progress.
  Status start(size_t threads, const std::function<void(size_t thread)>& body) {
    std::lock_guard lock(mutex_);
    if (Status refused = refusal("start()"); !refused.ok()) return refused;
    started_ = true;
    active_ = threads;
    for (size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this, body, i] {
        body(i);
        finish();
      });
      own_threads_.push_back(threads_.back().get_id());
    }
    return Status();
  }

  // A pass on the caller's thread; end it with end_pass(). Refused like start().
  Status begin_pass() {
    std::lock_guard lock(mutex_);
    if (Status refused = refusal("run_once()"); !refused.ok()) return refused;
    pass_active_ = true;
    ++active_;
    own_threads_.push_back(std::this_thread::get_id());
    return Status();
  }
  void end_pass() {
    {
      std::lock_guard lock(mutex_);
      pass_active_ = false;
      std::erase(own_threads_, std::this_thread::get_id());
    }
    finish();
  }

  // Asks the bodies to stop without waiting (a fatal error inside a body).
  void request_stop() { stop_.request_stop(); }
  std::stop_token stop_token() const { return stop_.token(); }
  bool stop_requested() const { return stop_.stop_requested(); }

  // True while started threads are still working.
  bool running() const {
    std::lock_guard lock(mutex_);
    return started_ && active_ > 0;
  }

  // `after_join` runs once, in the first stop() that joined (e.g. closing a source).
  void stop(Duration deadline, StopSignal abort, const std::function<void()>& after_join) {
    stop_.request_stop();
    if (on_own_thread()) return;
    std::lock_guard serial(stop_mutex_);
    std::unique_lock lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    if (active_ > 0) {
      std::stop_source idle;
      on_idle_ = &idle;
      lock.unlock();
      const bool deadline_passed = clock_->wait_until(clock_->now() + deadline, idle.get_token());
      if (deadline_passed) abort.request_stop();
      lock.lock();
      on_idle_ = nullptr;
      idle_changed_.wait(lock, [&] { return active_ == 0; });
    }
    std::vector<std::thread> threads = std::move(threads_);
    own_threads_.clear();
    lock.unlock();
    for (std::thread& thread : threads) thread.join();
    if (after_join) after_join();
  }

 private:
  Status refusal(const char* what) const {
    auto refuse = [&](const std::string& why) {
      return Status(StatusCode::kFailedPrecondition, std::string(what) + " refused: " + why);
    };
    if (stopped_ || stop_.stop_requested()) {
      return refuse("the coordinator was stopped; create a new one");
    }
    if (started_) return refuse("the coordinator was started and polls on its own");
    if (pass_active_) return refuse("another run_once() pass is in progress");
    return Status();
  }

  bool on_own_thread() const {
    std::lock_guard lock(mutex_);
    return std::find(own_threads_.begin(), own_threads_.end(), std::this_thread::get_id()) !=
           own_threads_.end();
  }

  void finish() {
    std::lock_guard lock(mutex_);
    if (--active_ > 0) return;
    if (on_idle_ != nullptr) on_idle_->request_stop();
    idle_changed_.notify_all();
  }

  ClockPtr clock_;
  StopSignal stop_;
  std::mutex stop_mutex_;  // one stop() at a time
  mutable std::mutex mutex_;
  std::condition_variable idle_changed_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> own_threads_;
  std::stop_source* on_idle_ = nullptr;  // fired when the last body finishes
  size_t active_ = 0;                    // bodies and passes still working
  bool started_ = false;
  bool pass_active_ = false;
  bool stopped_ = false;
};

// Runs end_pass() when a run_once() pass ends, however it ends.
class PassGuard {
 public:
  explicit PassGuard(CoordinatorLifecycle& lifecycle) : lifecycle_(lifecycle) {}
  PassGuard(const PassGuard&) = delete;
  PassGuard& operator=(const PassGuard&) = delete;
  ~PassGuard() { lifecycle_.end_pass(); }

 private:
  CoordinatorLifecycle& lifecycle_;
};

}  // namespace courier
