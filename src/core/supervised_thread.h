// SupervisedThread: a long-running body on its own thread that survives its own bugs.
// When the body throws, the exception is logged, /health reports the thread unhealthy,
// and after a capped exponential backoff the body runs again — until stop(). Without it,
// an exception escaping a thread ends the whole process (std::terminate).
//
//   SupervisedThread worker({.name = "task orders", .stop = stop}, [&] { run_task(); });
//   worker.start();
//   health.add("thread:task orders", [&] { return worker.health(); });
//   ... stop.request_stop(); worker.join();   // or worker.stop()
//
// The body must return once `stop` fires (it is given no other way to learn of it); a
// body that returns is not run again.
// Thread-safety: start(), stop() and join() from one thread; health() and restarts() from
// any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "courier/clock.h"
#include "courier/retry.h"
#include "http/health.h"

namespace courier {

struct SupervisedThreadOptions {
  std::string name;  // in logs and on /health: "task orders", "stream ingest worker 2"
  StopSignal stop;   // shared with the body; stop() fires it
  // Waits between a throw and the next run: 1 s, 2 s, 4 s … capped at 1 min.
  RetryPolicy backoff{.max_attempts = 0,
                      .initial_delay = std::chrono::seconds(1),
                      .max_delay = std::chrono::minutes(1)};
  // A restarted body that runs this long without throwing is healthy again, and the
  // backoff starts over.
  Duration stable_after = std::chrono::minutes(1);
  ClockPtr clock = system_clock();
};

class SupervisedThread {
 public:
  SupervisedThread(SupervisedThreadOptions options, std::function<void()> body);
  ~SupervisedThread();  // stop()
  SupervisedThread(const SupervisedThread&) = delete;
  SupervisedThread& operator=(const SupervisedThread&) = delete;

  void start();
  // Fires the stop signal and joins: returns promptly while waiting out a backoff.
  void stop();
  // Joins without firing the signal (someone else fired the shared one).
  void join();

  // Unhealthy from a throw until the restarted body has run stable_after without one.
  http::HealthReport health() const;
  // How many times the body threw and was (or will be) run again.
  unsigned restarts() const { return restarts_.load(); }
  const std::string& name() const { return options_.name; }

 private:
  void supervise();
  // Logs the failure and records it for health(); returns the backoff before the next run.
  Duration record_failure(const std::string& what);

  SupervisedThreadOptions options_;
  std::function<void()> body_;
  std::atomic<unsigned> restarts_{0};
  mutable std::mutex mutex_;
  bool failed_ = false;       // the body has thrown at least once
  TimePoint restarted_at_{};  // when the body last ran again after a throw
  unsigned failures_in_a_row_ = 0;
  std::thread thread_;
};

// One /health report for a group of threads: the first unhealthy one, named, or healthy.
http::HealthReport combined_health(const std::vector<std::unique_ptr<SupervisedThread>>& threads);

}  // namespace courier
