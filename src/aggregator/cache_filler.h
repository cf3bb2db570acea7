// CacheFiller: fills the cluster cache off the request path. A read that misses answers
// from Postgres at once (one query, as without a cache) and hands the users whose
// timelines or followees were missing to the filler; one background thread loads them in
// batches (one Postgres query per batch of timelines) and writes them to the cluster.
//
//   CacheFiller filler({.max_pending = 10'000}, [&](CacheFiller::Kind kind, auto& users) {
//     fill(kind, users); });
//   filler.request(CacheFiller::Kind::kTimeline, missed_users);   // returns at once
//
// Pending users are deduplicated and bounded: a request beyond `max_pending` is dropped
// (counted by the caller) and asked again by the next read that misses, so a burst of
// misses costs bounded memory and at most one fill per user in flight.
// Thread-safety: request(), pending() and wait_until_idle() may be called from any thread;
// `fill` runs on the filler's own thread. The destructor drops what is pending and waits
// for the batch being filled.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_set>
#include <vector>

namespace courier::aggregator {

class CacheFiller {
 public:
  enum class Kind { kTimeline, kFollowees };
  // Loads and writes `users`' data of one kind; failures are the callee's to count.
  using Fill = std::function<void(Kind kind, const std::vector<std::int64_t>& users)>;

  struct Options {
    size_t max_pending = 10'000;  // users waiting, of both kinds together
    size_t batch_size = 64;       // users per fill (one Postgres query for timelines)
  };

  CacheFiller(Options options, Fill fill);
  ~CacheFiller();
  CacheFiller(const CacheFiller&) = delete;
  CacheFiller& operator=(const CacheFiller&) = delete;

  // Asks for `users`' data to be filled (one fill for all of them when they fit a batch).
  // Returns how many were dropped because `max_pending` users were waiting already; a user
  // already pending or being filled is not queued again.
  size_t request(Kind kind, std::span<const std::int64_t> users);
  size_t pending() const;
  // Waits until nothing is pending or being filled; false on timeout.
  bool wait_until_idle(std::chrono::milliseconds timeout) const;

 private:
  struct Queue {
    std::vector<std::int64_t> order;  // first asked, first filled
    std::unordered_set<std::int64_t> members;
  };
  Queue& queue_of(Kind kind) { return kind == Kind::kTimeline ? timelines_ : followees_; }
  void run();

  Options options_;
  Fill fill_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  Queue timelines_;
  Queue followees_;
  bool filling_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace courier::aggregator
