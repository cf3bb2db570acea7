#include "aggregator/cache_filler.h"

#include <algorithm>

namespace courier::aggregator {

CacheFiller::CacheFiller(Options options, Fill fill)
    : options_(options), fill_(std::move(fill)), thread_([this] { run(); }) {}

CacheFiller::~CacheFiller() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

size_t CacheFiller::request(Kind kind, std::span<const std::int64_t> users) {
  size_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    Queue& queue = queue_of(kind);
    for (std::int64_t user : users) {
      if (queue.members.count(user) > 0) continue;
      if (timelines_.order.size() + followees_.order.size() >= options_.max_pending) {
        ++dropped;
        continue;
      }
      queue.order.push_back(user);
      queue.members.insert(user);
    }
  }
  changed_.notify_all();
  return dropped;
}

size_t CacheFiller::pending() const {
  std::lock_guard lock(mutex_);
  return timelines_.order.size() + followees_.order.size();
}

bool CacheFiller::wait_until_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return !filling_ && timelines_.order.empty() && followees_.order.empty();
  });
}

void CacheFiller::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(
        lock, [&] { return stopping_ || !timelines_.order.empty() || !followees_.order.empty(); });
    if (stopping_) return;
    // Followees first: a feed needs them before it can even name the timelines it misses.
    Kind kind = followees_.order.empty() ? Kind::kTimeline : Kind::kFollowees;
    Queue& queue = queue_of(kind);
    size_t taken = std::min(options_.batch_size, queue.order.size());
    std::vector<std::int64_t> batch(queue.order.begin(), queue.order.begin() + taken);
    queue.order.erase(queue.order.begin(), queue.order.begin() + taken);
    filling_ = true;
    lock.unlock();
    fill_(kind, batch);
    lock.lock();
    // Members leave the set only once filled: a request meanwhile is not queued again.
    for (std::int64_t user : batch) queue.members.erase(user);
    filling_ = false;
    changed_.notify_all();
  }
}

}  // namespace courier::aggregator
