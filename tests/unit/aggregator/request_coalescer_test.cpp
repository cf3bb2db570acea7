#include "aggregator/request_coalescer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <thread>
#include <vector>

namespace courier::aggregator {
namespace {

TEST(RequestCoalescer, ConcurrentIdenticalRequestsShareOneComputation) {
  RequestCoalescer<int> coalescer;
  std::atomic<int> computations = 0;
  std::atomic<int> shared_count = 0;
  std::latch leader_started(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread leader([&] {
    Result<int> value = coalescer.run("feed:1", [&]() -> Result<int> {
      ++computations;
      leader_started.count_down();
      released.wait();
      return 42;
    });
    EXPECT_EQ(value.value_or(0), 42);
  });
  leader_started.wait();
  std::vector<std::thread> followers;
  for (int i = 0; i < 4; ++i) {
    followers.emplace_back([&] {
      bool shared = false;
      Result<int> value = coalescer.run(
          "feed:1",
          [&]() -> Result<int> {
            ++computations;
            return 0;
          },
          &shared);
      EXPECT_EQ(value.value_or(0), 42);
      if (shared) ++shared_count;
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (coalescer.followers("feed:1") < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(coalescer.followers("feed:1"), 4u);
  release.set_value();
  leader.join();
  for (std::thread& follower : followers) follower.join();
  EXPECT_EQ(computations, 1);
  EXPECT_EQ(shared_count, 4);
  EXPECT_EQ(coalescer.followers("feed:1"), 0u);
}

TEST(RequestCoalescer, DifferentKeysDoNotWaitForEachOther) {
  RequestCoalescer<int> coalescer;
  EXPECT_EQ(coalescer.run("a", [] { return Result<int>(1); }).value_or(0), 1);
  EXPECT_EQ(coalescer.run("b", [] { return Result<int>(2); }).value_or(0), 2);
}

TEST(RequestCoalescer, AnErrorIsSharedAndTheNextCallRunsAgain) {
  RequestCoalescer<int> coalescer;
  Result<int> failed =
      coalescer.run("k", [] { return Result<int>(Status(StatusCode::kUnavailable, "down")); });
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(coalescer.run("k", [] { return Result<int>(5); }).value_or(0), 5);
}

}  // namespace
}  // namespace courier::aggregator
