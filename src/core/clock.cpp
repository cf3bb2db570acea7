#include "courier/clock.h"

#include <algorithm>
#include <cstdio>

namespace courier {
namespace {

// Notifies a condition variable when a stop is requested. It takes the waiter's mutex
// before notifying: otherwise a stop landing between the waiter's check of its condition
// and its going to sleep would be lost, and the waiter would sleep until its deadline.
struct NotifyUnderLock {
  std::mutex* mutex;
  std::condition_variable* condition;
  bool* stopped;

  void operator()() const {
    std::lock_guard lock(*mutex);
    *stopped = true;
    condition->notify_all();
  }
};

// `value` with at most three decimals and no trailing zeros: 1.5, 250, 0.125.
std::string trimmed_decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  std::string out(text);
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

std::string describe_duration(Duration length) {
  using std::chrono::duration;
  if (length == Duration::zero()) return "0s";
  if (length < Duration::zero()) return "-" + describe_duration(-length);
  if (length < std::chrono::milliseconds(1)) {
    return trimmed_decimal(duration<double, std::micro>(length).count()) + "us";
  }
  if (length < std::chrono::seconds(1)) {
    return trimmed_decimal(duration<double, std::milli>(length).count()) + "ms";
  }
  if (length < std::chrono::minutes(1)) {
    return trimmed_decimal(duration<double>(length).count()) + "s";
  }
  const auto total_seconds = std::chrono::duration_cast<std::chrono::seconds>(length).count();
  const auto hours = total_seconds / 3600;
  const auto minutes = total_seconds % 3600 / 60;
  const auto seconds = total_seconds % 60;
  std::string out;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (minutes > 0) out += std::to_string(minutes) + "m";
  if (seconds > 0) out += std::to_string(seconds) + "s";
  return out;
}

bool SystemClock::wait_until(TimePoint deadline, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable condition;
  bool stopped = false;
  std::stop_callback wake_on_stop(stop, NotifyUnderLock{&mutex, &condition, &stopped});
  std::unique_lock lock(mutex);
  return !condition.wait_until(lock, deadline, [&] { return stopped; });
}

ClockPtr system_clock() {
  static const ClockPtr clock = std::make_shared<SystemClock>();
  return clock;
}

TimePoint ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

bool ManualClock::wait_until(TimePoint deadline, std::stop_token stop) {
  bool stopped = false;
  std::stop_callback wake_on_stop(stop, NotifyUnderLock{&mutex_, &time_moved_, &stopped});
  std::unique_lock lock(mutex_);
  requested_waits_.push_back(std::max(deadline - now_, Duration::zero()));
  if (stopped) return false;
  if (mode_ == Mode::kManual) {
    ++waiters_;
    waiter_arrived_.notify_all();
    time_moved_.wait(lock,
                     [&] { return stopped || now_ >= deadline || mode_ == Mode::kAutoAdvance; });
    --waiters_;
    if (stopped) return false;
  }
  now_ = std::max(now_, deadline);
  return true;
}

void ManualClock::advance(Duration step) {
  std::lock_guard lock(mutex_);
  now_ += step;
  time_moved_.notify_all();
}

void ManualClock::set_mode(Mode mode) {
  std::lock_guard lock(mutex_);
  mode_ = mode;
  // A waiter blocked in kManual mode would otherwise wait for an advance() that an
  // auto-advancing test never makes.
  if (mode_ == Mode::kAutoAdvance) time_moved_.notify_all();
}

bool ManualClock::wait_for_waiters(size_t count, std::chrono::milliseconds real_timeout) {
  std::unique_lock lock(mutex_);
  return waiter_arrived_.wait_for(lock, real_timeout, [&] { return waiters_ >= count; });
}

size_t ManualClock::waiters() const {
  std::lock_guard lock(mutex_);
  return waiters_;
}

std::vector<Duration> ManualClock::requested_waits() const {
  std::lock_guard lock(mutex_);
  return requested_waits_;
}

}  // namespace courier
