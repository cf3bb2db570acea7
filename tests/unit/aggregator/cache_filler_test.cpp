// CacheFiller: requests return at once, a user pending twice is filled once, pending users
// are bounded, batches are bounded, and the destructor does not wait for what is pending.
#include "aggregator/cache_filler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>

namespace courier::aggregator {
namespace {

using namespace std::chrono_literals;
using Kind = CacheFiller::Kind;

std::vector<std::int64_t> one(std::int64_t user) {
  return {user};
}

// Records every fill; holds each one until release() while `hold` is set.
struct RecordingFill {
  std::mutex mutex;
  std::vector<std::pair<Kind, std::vector<std::int64_t>>> fills;
  std::promise<void> released;
  std::shared_future<void> gate = released.get_future().share();
  std::atomic<bool> hold = false;
  std::atomic<int> started = 0;

  CacheFiller::Fill callback() {
    return [this](Kind kind, const std::vector<std::int64_t>& users) {
      ++started;
      if (hold) gate.wait();
      std::lock_guard lock(mutex);
      fills.emplace_back(kind, users);
    };
  }
  void release() { released.set_value(); }
  bool wait_started(int count) {
    for (auto until = std::chrono::steady_clock::now() + 5s; started < count;)
      if (std::chrono::steady_clock::now() > until) return false;
    return true;
  }
};

TEST(CacheFiller, FillsWhatWasAskedInBatchesFolloweesFirst) {
  RecordingFill recorded;
  recorded.hold = true;
  CacheFiller filler({.max_pending = 100, .batch_size = 2}, recorded.callback());
  ASSERT_EQ(0u, filler.request(Kind::kTimeline, one(1)));  // taken at once; held
  ASSERT_TRUE(recorded.wait_started(1));
  for (std::int64_t user : {2, 3, 4}) ASSERT_EQ(0u, filler.request(Kind::kTimeline, one(user)));
  ASSERT_EQ(0u, filler.request(Kind::kFollowees, one(9)));
  EXPECT_EQ(filler.pending(), 4u);
  recorded.release();
  ASSERT_TRUE(filler.wait_until_idle(5s));
  EXPECT_EQ(filler.pending(), 0u);
  using Fill = std::pair<Kind, std::vector<std::int64_t>>;
  EXPECT_EQ(recorded.fills, (std::vector<Fill>{{Kind::kTimeline, {1}},
                                               {Kind::kFollowees, {9}},
                                               {Kind::kTimeline, {2, 3}},
                                               {Kind::kTimeline, {4}}}));
}

TEST(CacheFiller, UsersAskedTogetherAreOneFillAndThoseOverTheBoundAreDropped) {
  RecordingFill recorded;
  CacheFiller filler({.max_pending = 3, .batch_size = 10}, recorded.callback());
  EXPECT_EQ(filler.request(Kind::kTimeline, std::vector<std::int64_t>{1, 2, 2, 3, 4, 5}), 2u);
  ASSERT_TRUE(filler.wait_until_idle(5s));
  using Fill = std::pair<Kind, std::vector<std::int64_t>>;
  EXPECT_EQ(recorded.fills, (std::vector<Fill>{{Kind::kTimeline, {1, 2, 3}}}));
}

TEST(CacheFiller, AUserPendingOrBeingFilledIsNotQueuedAgain) {
  RecordingFill recorded;
  recorded.hold = true;
  CacheFiller filler({.max_pending = 100, .batch_size = 10}, recorded.callback());
  ASSERT_EQ(0u, filler.request(Kind::kTimeline, one(1)));
  ASSERT_TRUE(recorded.wait_started(1));
  EXPECT_EQ(0u, filler.request(Kind::kTimeline, one(1)));  // being filled
  EXPECT_EQ(0u, filler.request(Kind::kTimeline, one(2)));
  EXPECT_EQ(0u, filler.request(Kind::kTimeline, one(2)));   // pending
  EXPECT_EQ(0u, filler.request(Kind::kFollowees, one(2)));  // another kind: its own fill
  EXPECT_EQ(filler.pending(), 2u);
  recorded.release();
  ASSERT_TRUE(filler.wait_until_idle(5s));
  ASSERT_EQ(recorded.fills.size(), 3u);
  // Filled, so asked again it is filled again (the cache may have lost it since).
  EXPECT_EQ(0u, filler.request(Kind::kTimeline, one(1)));
  ASSERT_TRUE(filler.wait_until_idle(5s));
  EXPECT_EQ(recorded.fills.size(), 4u);
}

TEST(CacheFiller, RequestsBeyondMaxPendingAreDropped) {
  RecordingFill recorded;
  recorded.hold = true;
  CacheFiller filler({.max_pending = 2, .batch_size = 10}, recorded.callback());
  ASSERT_EQ(0u, filler.request(Kind::kTimeline, one(1)));
  ASSERT_TRUE(recorded.wait_started(1));  // being filled: no longer pending
  EXPECT_EQ(0u, filler.request(Kind::kTimeline, one(2)));
  EXPECT_EQ(0u, filler.request(Kind::kFollowees, one(3)));
  EXPECT_EQ(1u, filler.request(Kind::kTimeline, one(4))) << "two pending already";
  EXPECT_EQ(filler.pending(), 2u);
  EXPECT_FALSE(filler.wait_until_idle(50ms)) << "a fill is still held";
  recorded.release();
  ASSERT_TRUE(filler.wait_until_idle(5s));
  EXPECT_EQ(0u, filler.request(Kind::kTimeline, one(4))) << "room again";
}

TEST(CacheFiller, StoppingDropsWhatIsPendingAndWaitsForTheFillRunning) {
  RecordingFill recorded;
  recorded.hold = true;
  std::thread releaser;
  {
    CacheFiller filler({.max_pending = 100, .batch_size = 1}, recorded.callback());
    ASSERT_EQ(0u, filler.request(Kind::kTimeline, one(1)));
    ASSERT_TRUE(recorded.wait_started(1));
    for (std::int64_t user = 2; user < 50; ++user)
      ASSERT_EQ(0u, filler.request(Kind::kTimeline, one(user)));
    // Released only once the destructor below is waiting (it cannot be observed; a
    // generous delay stands in).
    releaser = std::thread([&] {
      std::this_thread::sleep_for(200ms);
      recorded.release();
    });
  }  // joins the running fill; the 48 pending are dropped
  releaser.join();
  EXPECT_EQ(recorded.fills.size(), 1u);
}

}  // namespace
}  // namespace courier::aggregator
