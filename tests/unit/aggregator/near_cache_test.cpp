#include "aggregator/near_cache.h"

#include <gtest/gtest.h>

namespace courier::aggregator {
namespace {

using namespace std::chrono_literals;

class NearCacheTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_F(NearCacheTest, ServesAnEntryUntilItsTtlPasses) {
  NearCache cache({.ttl = 250ms, .max_entries = 10}, clock_);
  cache.put("posts:7", "body", {7});
  clock_->advance(249ms);
  EXPECT_EQ(cache.get("posts:7").value_or(""), "body");
  clock_->advance(1ms);
  EXPECT_FALSE(cache.get("posts:7"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(NearCacheTest, AWriteForAUserDropsEveryEntryThatDependsOnThem) {
  NearCache cache({.ttl = 10s, .max_entries = 10}, clock_);
  cache.put("posts:7", "a", {7});
  cache.put("feed:1", "b", {1, 7, 9});
  cache.put("feed:2", "c", {2, 9});
  cache.invalidate_user(7);
  EXPECT_FALSE(cache.get("posts:7"));
  EXPECT_FALSE(cache.get("feed:1"));
  EXPECT_EQ(cache.get("feed:2").value_or(""), "c");
}

TEST_F(NearCacheTest, StaysWithinItsBoundDroppingTheOldestFirst) {
  NearCache cache({.ttl = 10s, .max_entries = 3}, clock_);
  for (int i = 0; i < 5; ++i) cache.put("k" + std::to_string(i), "v", {i});
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.get("k0"));
  EXPECT_FALSE(cache.get("k1"));
  EXPECT_TRUE(cache.get("k4"));
  cache.invalidate_user(0);  // its entry is gone already: nothing breaks
  EXPECT_EQ(cache.size(), 3u);
}

TEST_F(NearCacheTest, StaysWithinItsByteBoundDroppingTheOldestFirst) {
  NearCache cache({.ttl = 10s, .max_entries = 1000, .max_bytes = 4096}, clock_);
  const std::string page(1000, 'x');
  for (int i = 0; i < 10; ++i) {
    cache.put("page" + std::to_string(i), page, {i});
    EXPECT_LE(cache.bytes(), 4096u);
  }
  EXPECT_LT(cache.size(), 4u) << "four 1000-byte pages and their keys exceed 4096 bytes";
  EXPECT_GE(cache.size(), 2u);
  EXPECT_TRUE(cache.get("page9"));
  EXPECT_FALSE(cache.get("page0"));
  // A value larger than the whole bound is not kept (and pushes nothing out).
  cache.put("huge", std::string(5000, 'y'), {});
  EXPECT_FALSE(cache.get("huge"));
  EXPECT_TRUE(cache.get("page9"));
  cache.invalidate_user(9);
  cache.invalidate_user(8);
  cache.invalidate_user(7);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u) << "erasing gives back exactly what was counted";
}

TEST_F(NearCacheTest, ReplacingAnEntryKeepsOneCopy) {
  NearCache cache({.ttl = 10s, .max_entries = 3}, clock_);
  cache.put("k", "old", {1});
  cache.put("k", "new", {2});
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.get("k").value_or(""), "new");
  cache.invalidate_user(1);
  EXPECT_TRUE(cache.get("k"));
  cache.invalidate_user(2);
  EXPECT_FALSE(cache.get("k"));
}

TEST_F(NearCacheTest, AValueComputedBeforeAWriteIsNotStored) {
  NearCache cache({.ttl = 10s, .max_entries = 3}, clock_);
  std::uint64_t before = cache.generation();
  cache.invalidate_user(7);  // a write lands while the value is being computed
  cache.put("posts:7", "stale", {7}, before);
  EXPECT_FALSE(cache.get("posts:7"));
  cache.put("posts:7", "fresh", {7}, cache.generation());
  EXPECT_EQ(cache.get("posts:7").value_or(""), "fresh");
}

}  // namespace
}  // namespace courier::aggregator
