#include "supervised_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "poll_until.h"

namespace courier {
namespace {

using namespace std::chrono_literals;

// Polls `condition` (real time) until it holds or 10 s pass.
bool eventually(const std::function<bool()>& condition) {
  return testing::poll_until(10s, condition, 1ms);
}

TEST(SupervisedThread, ABodyThatThrowsIsRestartedWithBackoffAndReportedUntilStable) {
  auto clock = std::make_shared<ManualClock>();
  StopSignal stop;
  std::atomic<int> runs{0};
  SupervisedThread thread(
      {.name = "task orders", .stop = stop, .stable_after = 10s, .clock = clock}, [&] {
        if (++runs <= 2) throw std::runtime_error("bug with secret row 42");
        while (clock->wait_for(1h, stop.token())) {
        }
      });
  EXPECT_TRUE(thread.health().healthy);
  thread.start();

  ASSERT_TRUE(eventually([&] { return thread.restarts() == 1; }));
  ASSERT_TRUE(clock->wait_for_waiters(1));
  EXPECT_EQ(clock->requested_waits().back(), 1s) << "the first backoff";
  http::HealthReport failed = thread.health();
  EXPECT_FALSE(failed.healthy);
  EXPECT_NE(failed.detail.find("1 restart(s)"), std::string::npos) << failed.detail;
  EXPECT_EQ(failed.detail.find("secret"), std::string::npos) << "the error text stays in the log";

  clock->advance(1s);
  ASSERT_TRUE(eventually([&] { return thread.restarts() == 2; }));
  ASSERT_TRUE(clock->wait_for_waiters(1));
  EXPECT_EQ(clock->requested_waits().back(), 2s) << "the backoff doubles";

  clock->advance(2s);
  ASSERT_TRUE(eventually([&] { return runs.load() == 3; }));
  ASSERT_TRUE(clock->wait_for_waiters(1));
  EXPECT_FALSE(thread.health().healthy) << "not yet stable";
  clock->advance(10s);
  EXPECT_TRUE(thread.health().healthy) << thread.health().detail;

  thread.stop();
  EXPECT_EQ(runs.load(), 3);
}

TEST(SupervisedThread, StopDuringTheBackoffReturnsPromptly) {
  StopSignal stop;
  SupervisedThread thread({.name = "worker", .stop = stop, .backoff = {.initial_delay = 1h}},
                          [] { throw std::logic_error("always"); });
  thread.start();
  ASSERT_TRUE(eventually([&] { return thread.restarts() == 1; }));
  auto started = std::chrono::steady_clock::now();
  thread.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(thread.restarts(), 1u);
}

TEST(SupervisedThread, ABodyThatReturnsIsNotRunAgain) {
  std::atomic<int> runs{0};
  SupervisedThread thread({.name = "once"}, [&] { ++runs; });
  thread.start();
  thread.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_TRUE(thread.health().healthy);
}

}  // namespace
}  // namespace courier
