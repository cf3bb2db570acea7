#include "aggregator/hot_keys.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>

#include "aggregator/zipf_sampler.h"

namespace courier::aggregator {
namespace {

TEST(HotKeyCounter, CountsExactlyWhileEveryKeyFits) {
  HotKeyCounter hot(4);
  hot.record("a", 3);
  hot.record("b");
  hot.record("c", 2);
  std::vector<HotKey> top = hot.top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, "a");
  EXPECT_EQ(top[0].count, 3u);
  EXPECT_EQ(top[1].key, "c");
  EXPECT_EQ(hot.total(), 6u);
}

TEST(HotKeyCounter, TracksNoMoreThanItsCapacity) {
  HotKeyCounter hot(8);
  for (int i = 0; i < 10'000; ++i) hot.record("key:" + std::to_string(i));
  EXPECT_EQ(hot.top(100).size(), 8u);
  EXPECT_EQ(hot.total(), 10'000u);
}

TEST(HotKeyCounter, FindsTheHotKeysOfASkewedStream) {
  HotKeyCounter hot(32);
  ZipfSampler zipf(10'000, 1.2);
  std::mt19937_64 random(3);
  for (int i = 0; i < 100'000; ++i) hot.record("user:" + std::to_string(zipf.sample(random)));
  std::vector<HotKey> top = hot.top(3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].key, "user:1");
  EXPECT_EQ(top[1].key, "user:2");
  EXPECT_EQ(top[2].key, "user:3");
  // The guaranteed part of each count is close to what the distribution says.
  EXPECT_NEAR((top[0].count - top[0].error) / 100'000.0, zipf.probability(1), 0.01);
}

TEST(HotKeyCounter, RefusesZeroCapacity) {
  EXPECT_THROW(HotKeyCounter(0), std::invalid_argument);
}

}  // namespace
}  // namespace courier::aggregator
