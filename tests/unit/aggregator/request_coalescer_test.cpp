#include "aggregator/request_coalescer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <thread>
#include <vector>

#include "poll_until.h"

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
  testing::poll_until(std::chrono::seconds(10), [&] { return coalescer.followers("feed:1") >= 4; },
                      std::chrono::milliseconds(0));
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

// A leader stuck behind a sick dependency: its followers give up after their wait, with
// an error saying so, instead of holding a worker as long as the leader hangs.
TEST(RequestCoalescer, FollowersOfAStuckLeaderGiveUpAfterTheirWait) {
  RequestCoalescer<int> coalescer(std::chrono::milliseconds(200));
  std::latch leader_started(1);
  std::promise<void> release;
  std::thread leader([&] {
    (void)coalescer.run("feed:1", [&]() -> Result<int> {
      leader_started.count_down();
      release.get_future().wait();
      return 1;
    });
  });
  leader_started.wait();
  auto started = std::chrono::steady_clock::now();
  Result<int> followed = coalescer.run("feed:1", [] { return Result<int>(2); });
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(followed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(followed.status().message().find("timed out waiting"), std::string::npos);
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(coalescer.followers("feed:1"), 0u);
  release.set_value();
  leader.join();
}

TEST(RequestCoalescer, ALeaderThatThrowsWakesItsFollowersWithAnError) {
  RequestCoalescer<int> coalescer(std::chrono::seconds(30));
  std::latch leader_started(1);
  std::promise<void> release;
  std::thread leader([&] {
    EXPECT_THROW((void)coalescer.run("k",
                                     [&]() -> Result<int> {
                                       leader_started.count_down();
                                       release.get_future().wait();
                                       throw std::runtime_error("bug");
                                     }),
                 std::runtime_error);
  });
  leader_started.wait();
  std::future<Result<int>> follower = std::async(
      std::launch::async, [&] { return coalescer.run("k", [] { return Result<int>(2); }); });
  testing::poll_until(std::chrono::seconds(10), [&] { return coalescer.followers("k") >= 1; },
                      std::chrono::milliseconds(0));
  release.set_value();
  ASSERT_EQ(follower.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(follower.get().status().code(), StatusCode::kInternal);
  leader.join();
}

}  // namespace
}  // namespace courier::aggregator
