// RequestCoalescer: concurrent identical requests share one computation. The first
// caller for a key runs it; callers arriving while it runs wait and get the same result,
// so a burst of misses on a hot key costs one Postgres query, not one per request.
//
//   RequestCoalescer<std::string> coalescer(std::chrono::seconds(5));
//   bool shared = false;
//   Result<std::string> body = coalescer.run("feed:7:limit=20", [&] { return build(); }, &shared);
//
// Nothing is cached: once the leader finishes, the next caller runs anew. A follower waits
// at most `follower_wait`; then it gets kUnavailable ("timed out waiting") instead of
// hanging on a leader stuck behind a sick dependency. A leader that fails or throws
// wakes its followers with its error.
// Thread-safety: run() from any thread; `compute` runs on the leader's thread.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <unordered_map>

#include "courier/status.h"

namespace courier::aggregator {

template <typename T>
class RequestCoalescer {
 public:
  explicit RequestCoalescer(std::chrono::milliseconds follower_wait = std::chrono::seconds(5))
      : follower_wait_(follower_wait) {}

  Result<T> run(const std::string& key, const std::function<Result<T>()>& compute,
                bool* shared = nullptr) {
    std::promise<Result<T>> promise;
    std::shared_future<Result<T>> pending;
    bool leader = false;
    {
      std::lock_guard lock(mutex_);
      auto [entry, added] = in_flight_.try_emplace(key);
      if (added) {
        entry->second.result = promise.get_future().share();
        leader = true;
      } else {
        ++entry->second.followers;
      }
      pending = entry->second.result;
    }
    if (shared) *shared = !leader;
    if (!leader) return follow(key, pending);
    Result<T> result = Status(StatusCode::kInternal, "request failed");
    try {
      result = compute();
    } catch (...) {
      finish(key, promise, result);
      throw;
    }
    finish(key, promise, result);
    return result;
  }

  // Callers waiting for a computation another caller runs, under any key.
  size_t followers() const {
    std::lock_guard lock(mutex_);
    size_t waiting = 0;
    for (const auto& [key, in_flight] : in_flight_) waiting += in_flight.followers;
    return waiting;
  }

  // Callers waiting for the computation running under `key` (0 when none runs).
  size_t followers(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto found = in_flight_.find(key);
    return found == in_flight_.end() ? 0 : found->second.followers;
  }

 private:
  Result<T> follow(const std::string& key, const std::shared_future<Result<T>>& pending) {
    if (pending.wait_for(follower_wait_) == std::future_status::ready) return pending.get();
    {
      std::lock_guard lock(mutex_);
      auto found = in_flight_.find(key);
      if (found != in_flight_.end() && found->second.followers > 0) --found->second.followers;
    }
    return Status(StatusCode::kUnavailable,
                  "timed out waiting for an identical request in progress; retry");
  }

  void finish(const std::string& key, std::promise<Result<T>>& promise, const Result<T>& result) {
    {
      std::lock_guard lock(mutex_);
      in_flight_.erase(key);
    }
    promise.set_value(result);
  }

  struct InFlight {
    std::shared_future<Result<T>> result;
    size_t followers = 0;
  };
  std::chrono::milliseconds follower_wait_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, InFlight> in_flight_;
};

}  // namespace courier::aggregator
