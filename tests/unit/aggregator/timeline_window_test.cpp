#include <gtest/gtest.h>

#include "aggregator/query_api.h"
#include "aggregator/timeline_cache.h"

namespace courier::aggregator {
namespace {

const std::vector<PostKey> kNewestFirst = {{50, 5}, {40, 4}, {40, 3}, {20, 2}, {10, 1}};

TEST(TimelineWindow, ACompleteTimelineServesAnyWindowEvenAShortOne) {
  TimelineRead read =
      window_of(kNewestFirst, /*complete=*/true, {.after = PostKey{40, 4}, .count = 10});
  EXPECT_EQ(read.state, TimelineRead::kServed);
  EXPECT_EQ(read.posts, (std::vector<PostKey>{{40, 3}, {20, 2}, {10, 1}}));
}

TEST(TimelineWindow, APartialTimelineServesOnlyWindowsItCoversWhole) {
  TimelineRead covered = window_of(kNewestFirst, /*complete=*/false, {.count = 3});
  EXPECT_EQ(covered.state, TimelineRead::kServed);
  EXPECT_EQ(covered.posts, (std::vector<PostKey>{{50, 5}, {40, 4}, {40, 3}}));
  // Six posts wanted, five known, and older ones may exist: the cache cannot vouch.
  EXPECT_EQ(window_of(kNewestFirst, false, {.count = 6}).state, TimelineRead::kMiss);
  EXPECT_EQ(window_of(kNewestFirst, false, {.after = PostKey{20, 2}, .count = 2}).state,
            TimelineRead::kMiss);
}

TEST(TimelineWindow, OffsetsCountTowardsWhatMustBeCovered) {
  TimelineRead read = window_of(kNewestFirst, false, {.offset = 2, .count = 3});
  EXPECT_EQ(read.state, TimelineRead::kServed);
  EXPECT_EQ(read.posts.size(), 5u);  // the merge drops the offset after merging
  EXPECT_EQ(window_of(kNewestFirst, false, {.offset = 3, .count = 3}).state, TimelineRead::kMiss);
}

TEST(TimelineWindow, TheCursorTieBreaksById) {
  TimelineRead read = window_of(kNewestFirst, true, {.after = PostKey{40, 4}, .count = 1});
  EXPECT_EQ(read.posts, (std::vector<PostKey>{{40, 3}}));
}

TEST(HttpStatus, EachKindOfFailureHasItsStatus) {
  EXPECT_EQ(http_status_for(Status(StatusCode::kInvalidArgument, "")), 400);
  EXPECT_EQ(http_status_for(Status(StatusCode::kNotFound, "")), 404);
  EXPECT_EQ(http_status_for(Status(StatusCode::kFailedPrecondition, "")), 409);
  EXPECT_EQ(http_status_for(Status(StatusCode::kUnavailable, "")), 503);
  EXPECT_EQ(http_status_for(Status(StatusCode::kInternal, "")), 500);
}

TEST(HttpStatus, ARedisRefusalIsNeverTheClientsFault) {
  EXPECT_EQ(http_status_for(Status(StatusCode::kInvalidArgument, "WRONGPASS ...", "WRONGPASS")),
            500);
  EXPECT_EQ(http_status_for(Status(StatusCode::kFailedPrecondition, "WRONGTYPE", "WRONGTYPE")),
            500);
  EXPECT_EQ(http_status_for(Status(StatusCode::kUnavailable, "MISCONF ...", "MISCONF")), 503);
  // A Postgres error keeps its class: a value it rejects is the client's.
  EXPECT_EQ(http_status_for(Status(StatusCode::kInvalidArgument, "bad", "22P02")), 400);
}

}  // namespace
}  // namespace courier::aggregator
