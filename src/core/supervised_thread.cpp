#include "supervised_thread.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace courier {

SupervisedThread::SupervisedThread(SupervisedThreadOptions options, std::function<void()> body)
    : options_(std::move(options)), body_(std::move(body)) {}

SupervisedThread::~SupervisedThread() {
  stop();
}

void SupervisedThread::start() {
  thread_ = std::thread([this] { supervise(); });
}

void SupervisedThread::stop() {
  options_.stop.request_stop();
  join();
}

void SupervisedThread::join() {
  if (thread_.joinable()) thread_.join();
}

void SupervisedThread::supervise() {
  while (!options_.stop.stop_requested()) {
    std::string what;
    try {
      body_();
      return;
    } catch (const std::exception& error) {
      what = error.what();
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
    Duration delay = record_failure(what);
    if (!options_.clock->wait_for(delay, options_.stop.token())) return;
  }
}

Duration SupervisedThread::record_failure(const std::string& what) {
  std::lock_guard lock(mutex_);
  // A body that ran long enough since its last restart failed afresh: start the backoff over.
  bool was_stable = options_.clock->now() - restarted_at_ >= options_.stable_after;
  failures_in_a_row_ = was_stable ? 1 : failures_in_a_row_ + 1;
  Duration delay = delay_for_attempt(options_.backoff, failures_in_a_row_, 0.5);
  failed_ = true;
  ++restarts_;
  spdlog::error("{}: stopped by an unexpected error: {}; restarting in {} (restart {})",
                options_.name, what, describe_duration(delay), restarts_.load());
  restarted_at_ = options_.clock->now() + delay;  // healthy again only stable_after past this
  return delay;
}

http::HealthReport SupervisedThread::health() const {
  std::lock_guard lock(mutex_);
  if (!failed_) return {true, "running"};
  std::string restarts = std::to_string(restarts_.load()) + " restart(s)";
  if (options_.clock->now() - restarted_at_ >= options_.stable_after)
    return {true, "running again after " + restarts};
  // The error itself goes to the log only: its text may carry data.
  return {false, "stopped by an unexpected error, " + restarts + " so far; see the log"};
}

http::HealthReport combined_health(const std::vector<std::unique_ptr<SupervisedThread>>& threads) {
  for (const auto& thread : threads) {
    http::HealthReport report = thread->health();
    if (!report.healthy) return {false, thread->name() + ": " + report.detail};
  }
  return {true, std::to_string(threads.size()) + " thread(s) running"};
}

}  // namespace courier
