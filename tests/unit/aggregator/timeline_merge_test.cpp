#include "aggregator/timeline_merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace courier::aggregator {
namespace {

TEST(TimelineMerge, InterleavesTimelinesNewestFirstAndStopsAtTheLimit) {
  MergedPage page = merge_newest_first({{{30, 3}, {10, 1}}, {{20, 2}, {5, 9}}}, 3);
  EXPECT_EQ(page.posts, (std::vector<PostKey>{{30, 3}, {20, 2}, {10, 1}}));
  EXPECT_TRUE(page.has_more);
}

TEST(TimelineMerge, HasMoreIsFalseWhenEverythingFits) {
  MergedPage page = merge_newest_first({{{30, 3}}, {}, {{20, 2}}}, 2);
  EXPECT_EQ(page.posts.size(), 2u);
  EXPECT_FALSE(page.has_more);
}

TEST(TimelineMerge, EqualTimestampsAreOrderedByIdDescending) {
  MergedPage page = merge_newest_first({{{10, 2}, {10, 1}}, {{10, 7}, {10, 3}}}, 10);
  EXPECT_EQ(page.posts, (std::vector<PostKey>{{10, 7}, {10, 3}, {10, 2}, {10, 1}}));
}

TEST(TimelineMerge, AnEmptyFeedIsAnEmptyPage) {
  MergedPage page = merge_newest_first({}, 10);
  EXPECT_TRUE(page.posts.empty());
  EXPECT_FALSE(page.has_more);
}

TEST(TimelineMerge, EqualsSortingEverythingOnRandomInputsWithTies) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<PostKey>> timelines(random() % 6);
    std::vector<PostKey> all;
    int64_t next_id = 1;
    for (auto& timeline : timelines) {
      size_t count = random() % 8;
      for (size_t i = 0; i < count; ++i) {
        timeline.push_back({static_cast<int64_t>(random() % 5), next_id++});
      }
      std::sort(timeline.begin(), timeline.end(), comes_before);
      all.insert(all.end(), timeline.begin(), timeline.end());
    }
    std::sort(all.begin(), all.end(), comes_before);
    size_t limit = 1 + random() % 10;
    MergedPage page = merge_newest_first(timelines, limit);
    std::vector<PostKey> expected(all.begin(), all.begin() + std::min(limit, all.size()));
    ASSERT_EQ(page.posts, expected) << "round " << round;
    ASSERT_EQ(page.has_more, all.size() > limit) << "round " << round;
  }
}

}  // namespace
}  // namespace courier::aggregator
