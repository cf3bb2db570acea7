// A time limit per batch: a batch the inner applier has not finished within the limit
// fails with a retryable kUnavailable "timed out after …", so one hung call cannot stall a
// pipeline behind it.
//
//   auto bounded = std::make_shared<courier::TimeoutApplier<Event>>(inner,
//                                                                    std::chrono::seconds(10));
//   courier::ApplyResult result = bounded->apply(batch);  // returns within ~10 s
//
// What happens to the call that timed out: a blocked thread cannot be stopped from
// outside, so the inner applier runs on a worker thread the decorator owns, on its own
// copy of the records (Record must be copyable: the caller's batch may be gone before a
// late call ends). When the limit passes, apply() returns and the worker's late result is
// discarded, but the inner call runs on to its end: its records may still be written, so
// retrying them relies on the destination being idempotent (as at-least-once delivery
// does anyway). Until that call ends, every new batch fails at once with kUnavailable,
// so calls never pile up on a hung destination and the inner applier never runs twice
// at once. Give the inner applier its own I/O timeouts too; this limit is the backstop.
// Destroying the decorator waits for a running inner call to return.
//
// Thread-safety: apply() may be called from several threads; calls are served one at a
// time, each limit counted from when its call starts.
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/clock.h"
#include "courier/status.h"

namespace courier {

template <typename Record>
class TimeoutApplier final : public Applier<Record> {
 public:
  // Throws std::invalid_argument when the limit is not above zero.
  TimeoutApplier(ApplierPtr<Record> inner, Duration limit, ClockPtr clock = system_clock())
      : inner_(require_inner_applier(std::move(inner), "TimeoutApplier")),
        limit_(limit),
        clock_(std::move(clock)) {
    if (limit_ <= Duration::zero())
      throw std::invalid_argument("TimeoutApplier: limit must be > 0");
    if (!clock_) throw std::invalid_argument("TimeoutApplier: clock must not be null");
    worker_ = std::thread([this] { run_worker(); });
  }
  TimeoutApplier(const TimeoutApplier&) = delete;
  TimeoutApplier& operator=(const TimeoutApplier&) = delete;

  ~TimeoutApplier() override {
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
    }
    work_posted_.notify_one();
    worker_.join();
  }

  ApplyResult apply(std::span<const Record> batch) override {
    std::lock_guard one_call_at_a_time(calls_);
    auto call = std::make_shared<Call>(batch);
    {
      std::lock_guard lock(mutex_);
      if (current_) return ApplyResult::all_failed(batch.size(), still_running_error());
      current_ = call;
    }
    work_posted_.notify_one();
    // The result is read below either way; the wait only decides how long to give it.
    (void)clock_->wait_until(clock_->now() + limit_, call->finished.get_token());
    std::lock_guard lock(mutex_);
    if (call->result) return std::move(*call->result);
    return ApplyResult::all_failed(batch.size(), timed_out_error());
  }

  // True while an inner call runs, including one whose batch already timed out.
  bool inner_call_running() const {
    std::lock_guard lock(mutex_);
    return current_ != nullptr;
  }

 private:
  struct Call {
    explicit Call(std::span<const Record> batch) : records(batch.begin(), batch.end()) {}
    const std::vector<Record> records;
    std::stop_source finished;          // fired by the worker when the inner call returns
    std::optional<ApplyResult> result;  // under mutex_
    bool started = false;               // under mutex_
  };

  void run_worker() {
    for (;;) {
      std::shared_ptr<Call> call;
      {
        std::unique_lock lock(mutex_);
        work_posted_.wait(lock, [&] { return shutting_down_ || (current_ && !current_->started); });
        if (shutting_down_) return;  // apply() is never running here: it would hold a reference
        call = current_;
        call->started = true;
      }
      ApplyResult result = apply_on_worker(call->records);
      {
        std::lock_guard lock(mutex_);
        call->result = std::move(result);
        current_.reset();
      }
      call->finished.request_stop();
    }
  }

  // An exception escaping a thread would end the process; here it ends the run instead.
  ApplyResult apply_on_worker(const std::vector<Record>& records) {
    try {
      return inner_->apply(std::span<const Record>(records));
    } catch (const std::exception& error) {
      return ApplyResult::fatal_error(
          Status(StatusCode::kInternal, std::string("inner applier threw: ") + error.what()));
    } catch (...) {
      return ApplyResult::fatal_error(
          Status(StatusCode::kInternal, "inner applier threw a non-standard exception"));
    }
  }

  Status timed_out_error() const {
    return Status(StatusCode::kUnavailable,
                  "timed out after " + describe_duration(limit_) +
                      "; the records may still be applied by the call that is still running");
  }
  static Status still_running_error() {
    return Status(StatusCode::kUnavailable,
                  "the inner applier is still running a batch that timed out; not starting "
                  "another until it returns");
  }

  const ApplierPtr<Record> inner_;
  const Duration limit_;
  const ClockPtr clock_;
  std::mutex calls_;  // serializes apply()
  mutable std::mutex mutex_;
  std::condition_variable work_posted_;
  std::shared_ptr<Call> current_;  // the call the worker runs or is about to run
  bool shutting_down_ = false;
  std::thread worker_;  // started in the constructor's body, once every member it uses exists
};

}  // namespace courier
