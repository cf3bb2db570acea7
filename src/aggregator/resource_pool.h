// ResourcePool: a bounded set of single-thread resources (Postgres connections, Redis
// cluster clients) shared by the HTTP worker threads. A lease hands one out for one
// request and returns it when destroyed; resources are created lazily, up to `capacity`.
//
//   ResourcePool<pg::Connection> pool(8, [&] { return pg::Connection::open(options); });
//   Result<ResourcePool<pg::Connection>::Lease> lease = pool.acquire(2s);
//   if (lease.ok()) (*lease)->execute("SELECT 1");
//
// A lease whose resource broke can discard() it; the next acquire creates a new one.
// Thread-safety: acquire() from any thread; a Lease is used by one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "courier/status.h"

namespace courier::aggregator {

template <typename T>
class ResourcePool {
 public:
  using Factory = std::function<Result<std::unique_ptr<T>>()>;

  class Lease {
   public:
    Lease(ResourcePool* pool, std::unique_ptr<T> resource)
        : pool_(pool), resource_(std::move(resource)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->give_back(std::move(resource_));
    }
    T* operator->() const { return resource_.get(); }
    T& operator*() const { return *resource_; }
    // Drops the resource instead of returning it (it is broken).
    void discard() { resource_.reset(); }

   private:
    struct NoPool {
      void operator()(ResourcePool*) const {}
    };
    std::unique_ptr<ResourcePool, NoPool> pool_;  // moved-from leases return nothing
    std::unique_ptr<T> resource_;
  };

  ResourcePool(size_t capacity, Factory factory, std::string name)
      : capacity_(capacity == 0 ? 1 : capacity),
        factory_(std::move(factory)),
        name_(std::move(name)) {}

  // An idle resource, a new one while fewer than `capacity` exist, or kUnavailable after
  // waiting `wait` for one to come back.
  Result<Lease> acquire(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    if (!returned_.wait_for(lock, wait, [&] { return !idle_.empty() || created_ < capacity_; }))
      return Status(StatusCode::kUnavailable,
                    name_ + ": all " + std::to_string(capacity_) + " are busy; retry later");
    if (!idle_.empty()) {
      std::unique_ptr<T> resource = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(resource));
    }
    ++created_;
    lock.unlock();
    Result<std::unique_ptr<T>> made = factory_();
    if (!made.ok()) {
      give_back(nullptr);
      return made.status();
    }
    return Lease(this, std::move(*made));
  }

  // Creates resources until `capacity` exist, so that the first requests do not pay for
  // connecting. Stops at the first failure and returns it (they are created later then).
  Status open_all() {
    std::vector<Lease> leases;
    for (size_t i = 0; i < capacity_; ++i) {
      Result<Lease> lease = acquire(std::chrono::milliseconds(0));
      if (!lease.ok()) return lease.status();
      leases.push_back(std::move(*lease));
    }
    return Status::Ok();
  }

 private:
  void give_back(std::unique_ptr<T> resource) {
    {
      std::lock_guard lock(mutex_);
      if (resource) {
        idle_.push_back(std::move(resource));
      } else {
        --created_;
      }
    }
    returned_.notify_one();
  }

  const size_t capacity_;
  Factory factory_;
  std::string name_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<T>> idle_;
  size_t created_ = 0;  // idle + leased
};

}  // namespace courier::aggregator
