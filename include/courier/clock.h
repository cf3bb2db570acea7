// Time and cancellation for the pipeline core: every wait the library makes (poll
// intervals, retry backoff, rate limits, timeouts) goes through a Clock, and every such
// wait ends at once when its stop token fires. Production code uses SystemClock; tests
// inject a ManualClock, so time passes only when the test says so.
//
//   courier::StopSignal stop;                        // coordinator.stop() calls request_stop()
//   auto clock = courier::system_clock();
//   if (!clock->wait_for(std::chrono::seconds(5), stop.token())) return;  // stopped early
//
// Thread-safety: StopSignal, SystemClock and ManualClock are safe to use from any number
// of threads at once; copies of a StopSignal share one state.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace courier {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

// "250ms", "1.5s", "2m30s": for messages such as "timed out after 250ms".
std::string describe_duration(Duration length);

// A shared "please stop" flag. Copies refer to the same signal (like std::stop_source),
// so one copy can go to a coordinator and others to the decorators it drives. Waits take
// the std::stop_token from token(); a default-constructed std::stop_token never fires.
class StopSignal {
 public:
  // Idempotent. Wakes every thread blocked in a Clock wait on this signal's token.
  void request_stop() { source_.request_stop(); }
  bool stop_requested() const { return source_.stop_requested(); }
  std::stop_token token() const { return source_.get_token(); }

 private:
  std::stop_source source_;
};

class Clock {
 public:
  virtual ~Clock() = default;

  virtual TimePoint now() const = 0;

  // Blocks until now() >= deadline or `stop` fires, whichever comes first. Returns true
  // when the deadline was reached, false when stopped (at once if already stopped; a stop
  // wins when both happened).
  [[nodiscard]] virtual bool wait_until(TimePoint deadline, std::stop_token stop) = 0;

  [[nodiscard]] bool wait_for(Duration delay, std::stop_token stop) {
    return wait_until(now() + delay, std::move(stop));
  }
};

using ClockPtr = std::shared_ptr<Clock>;

// Real time: std::chrono::steady_clock, unaffected by wall-clock changes.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] bool wait_until(TimePoint deadline, std::stop_token stop) override;
};

// The process-wide SystemClock; the default clock of every option struct.
ClockPtr system_clock();

// Test time. In kManual mode, time moves only through advance(); a waiting thread wakes
// when an advance reaches its deadline (tests use wait_for_waiters() to know the thread
// under test is blocked before advancing). In kAutoAdvance mode a wait returns at once
// and moves time forward to its deadline, so backoff sequences run instantly. Both modes
// record every requested wait (deadline - now at the time of the call).
class ManualClock final : public Clock {
 public:
  enum class Mode { kManual, kAutoAdvance };

  explicit ManualClock(Mode mode = Mode::kManual, TimePoint start = TimePoint{})
      : mode_(mode), now_(start) {}

  TimePoint now() const override;
  [[nodiscard]] bool wait_until(TimePoint deadline, std::stop_token stop) override;

  void advance(Duration step);
  void set_mode(Mode mode);

  // Blocks the test until at least `count` threads are blocked in wait_until(); false if
  // that did not happen within `real_timeout` of real time (a broken test, not a hang).
  bool wait_for_waiters(size_t count,
                        std::chrono::milliseconds real_timeout = std::chrono::seconds(10));
  size_t waiters() const;

  std::vector<Duration> requested_waits() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable time_moved_;      // wakes waiters after advance() or a stop
  std::condition_variable waiter_arrived_;  // wakes wait_for_waiters()
  Mode mode_;
  TimePoint now_;
  size_t waiters_ = 0;
  std::vector<Duration> requested_waits_;
};

}  // namespace courier
