#include "courier/dedup_window.h"

#include <gtest/gtest.h>

#include <string>

#include "core_test_support.h"

namespace courier {
namespace {

using testing::connection_refused;
using testing::recording_applier;
using testing::synced_positions;

TEST(DedupWindow, ForgetsTheOldestKeyWhenFull) {
  DedupWindow<int> window(3);
  EXPECT_TRUE(window.remember(1));
  EXPECT_TRUE(window.remember(2));
  EXPECT_TRUE(window.remember(3));
  EXPECT_TRUE(window.remember(4));
  EXPECT_FALSE(window.contains(1));
  EXPECT_TRUE(window.contains(2));
  EXPECT_TRUE(window.contains(4));
  EXPECT_TRUE(window.remember(5));
  EXPECT_FALSE(window.contains(2));
  EXPECT_TRUE(window.contains(3));
  EXPECT_EQ(window.size(), 3u);
}

TEST(DedupWindow, SeeingAKeyAgainDoesNotMakeItYounger) {
  DedupWindow<int> window(2);
  EXPECT_TRUE(window.remember(1));
  EXPECT_TRUE(window.remember(2));
  EXPECT_FALSE(window.remember(1));  // already there; still the oldest
  EXPECT_TRUE(window.remember(3));
  EXPECT_FALSE(window.contains(1));
  EXPECT_TRUE(window.contains(2));
}

TEST(DedupWindow, HoldsExactlyTheLastKeysAfterManyEvictions) {
  DedupWindow<std::string> window(7);
  for (int key = 0; key < 1000; ++key) window.remember("event-" + std::to_string(key));
  EXPECT_EQ(window.size(), 7u);
  for (int key = 0; key < 1000; ++key) {
    EXPECT_EQ(window.contains("event-" + std::to_string(key)), key >= 993) << key;
  }
}

TEST(DedupWindow, ZeroCapacityIsRejected) {
  EXPECT_THROW(DedupWindow<int>(0), std::invalid_argument);
}

auto identity = [](int record) { return record; };

TEST(DedupApplier, RecordsSyncedRecentlyAreReportedSyncedWithoutBeingSent) {
  auto inner = recording_applier([](int) { return Status::Ok(); });
  DedupApplier<int, int> deduped(inner, 100, identity);

  EXPECT_TRUE(deduped.apply(std::vector<int>{1, 2, 3}).all_ok());
  ApplyResult second = deduped.apply(std::vector<int>{2, 3, 4});

  EXPECT_EQ(inner->batches(), (std::vector<std::vector<int>>{{1, 2, 3}, {4}}));
  EXPECT_EQ(synced_positions(second), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(second.failed().empty());
}

TEST(DedupApplier, BatchOfOnlyKnownKeysDoesNotReachTheInnerApplier) {
  auto inner = recording_applier([](int) { return Status::Ok(); });
  DedupApplier<int, int> deduped(inner, 100, identity);
  (void)deduped.apply(std::vector<int>{1, 2});
  EXPECT_TRUE(deduped.apply(std::vector<int>{2, 1}).all_ok());
  EXPECT_EQ(inner->batches().size(), 1u);
}

TEST(DedupApplier, FailedRecordsAreNotSuppressedWhenRetried) {
  int failures_left = 1;
  auto inner = recording_applier([&](int record) {
    if (record == 2 && failures_left-- > 0) return connection_refused();
    return Status::Ok();
  });
  DedupApplier<int, int> deduped(inner, 100, identity);

  ApplyResult first = deduped.apply(std::vector<int>{1, 2, 3});
  ASSERT_EQ(first.failed().size(), 1u);
  EXPECT_EQ(first.failed()[0].index, 1u);

  ApplyResult retried = deduped.apply(std::vector<int>{1, 2, 3});
  EXPECT_TRUE(retried.all_ok());
  EXPECT_EQ(inner->batches(), (std::vector<std::vector<int>>{{1, 2, 3}, {2}}));
}

TEST(DedupApplier, KeysEvictedFromTheWindowPassAgain) {
  auto inner = recording_applier([](int) { return Status::Ok(); });
  DedupApplier<int, int> deduped(inner, 2, identity);
  (void)deduped.apply(std::vector<int>{1, 2, 3});  // 1 is evicted by 3
  (void)deduped.apply(std::vector<int>{1, 3});
  EXPECT_EQ(inner->batches(), (std::vector<std::vector<int>>{{1, 2, 3}, {1}}));
}

TEST(DedupApplier, NothingIsRememberedFromAFatalBatch) {
  bool fatal = true;
  auto inner = std::make_shared<testing::RecordingApplier>([&](std::span<const int> batch) {
    if (fatal) return ApplyResult::fatal_error(Status(StatusCode::kInternal, "lost"));
    return ApplyResult::all_synced(batch.size());
  });
  DedupApplier<int, int> deduped(inner, 100, identity);
  EXPECT_TRUE(deduped.apply(std::vector<int>{1, 2}).is_fatal());
  fatal = false;
  (void)deduped.apply(std::vector<int>{1, 2});
  EXPECT_EQ(inner->batches(), (std::vector<std::vector<int>>{{1, 2}, {1, 2}}));
}

struct Event {
  std::string id;
  int amount = 0;
};

class EventApplier final : public Applier<Event> {
 public:
  ApplyResult apply(std::span<const Event> batch) override {
    for (const Event& event : batch) sent.push_back(event.id);
    return ApplyResult::all_synced(batch.size());
  }
  std::vector<std::string> sent;
};

TEST(DedupApplier, KeysComeFromTheKeyFunction) {
  auto inner = std::make_shared<EventApplier>();
  DedupApplier<Event, std::string> deduped(inner, 10, [](const Event& e) { return e.id; });
  (void)deduped.apply(std::vector<Event>{{"a", 1}, {"b", 2}});
  (void)deduped.apply(std::vector<Event>{{"b", 3}, {"c", 4}});
  EXPECT_EQ(inner->sent, (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace courier
