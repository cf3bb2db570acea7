#include "courier/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(RouterApplier, RoutesByFirstMatchAndReportsAtOriginalPositions) {
  auto evens = recording_applier([](int record) { return record == 4 ? bad_payload() : Status(); });
  auto large = std::make_shared<RecordingApplier>(dead_letter_where([](int) { return true; }));
  RouterApplier<int> router({{[](const int& r) { return r % 2 == 0; }, evens},
                             {[](const int& r) { return r > 3; }, large}});
  const std::vector<int> batch = {1, 2, 3, 4, 5, 6};
  const ApplyResult result = router.apply(batch);

  EXPECT_THAT(evens->batches(), ElementsAre(ElementsAre(2, 4, 6)));
  EXPECT_THAT(large->batches(), ElementsAre(ElementsAre(5)));
  EXPECT_THAT(synced_positions(result), ElementsAre(1, 5));
  EXPECT_THAT(result.dead_lettered(), ElementsAre(4));
  EXPECT_THAT(failure_codes(result), ElementsAre(Pair(0, StatusCode::kInvalidArgument),
                                                 Pair(2, StatusCode::kInvalidArgument),
                                                 Pair(3, StatusCode::kInvalidArgument)));
}

TEST(RouterApplier, AnUnroutedRecordIsAPermanentFailureNotSynced) {
  auto orders = recording_applier([](int) { return Status(); });
  RouterApplier<int> router({{[](const int& r) { return r < 100; }, orders}});
  const std::vector<int> batch = {1, 500};
  const ApplyResult result = router.apply(batch);
  EXPECT_THAT(synced_positions(result), ElementsAre(0));
  ASSERT_EQ(result.failed().size(), 1u);
  EXPECT_EQ(result.failed()[0].index, 1u);
  EXPECT_TRUE(result.failed()[0].error.permanent());
  EXPECT_THAT(result.failed()[0].error.message(), HasSubstr("no route for record"));
  EXPECT_THAT(orders->batches(), ElementsAre(ElementsAre(1)));
}

TEST(RouterApplier, NoRoutesAtAllFailsEveryRecord) {
  RouterApplier<int> router({});
  const std::vector<int> batch = {1, 2};
  EXPECT_THAT(
      failure_codes(router.apply(batch)),
      ElementsAre(Pair(0, StatusCode::kInvalidArgument), Pair(1, StatusCode::kInvalidArgument)));
}

TEST(RouterApplier, AFatalRouteMakesTheBatchFatal) {
  auto fatal = std::make_shared<RecordingApplier>([](std::span<const int>) {
    return ApplyResult::fatal_error(Status(StatusCode::kFailedPrecondition, "auth"));
  });
  RouterApplier<int> router({{[](const int&) { return true; }, fatal}});
  const std::vector<int> batch = {1};
  EXPECT_TRUE(router.apply(batch).is_fatal());
}

TEST(RouterApplier, ARouteTakingTheWholeBatchGetsItAsIs) {
  auto all = recording_applier([](int) { return Status(); });
  RouterApplier<int> router({{[](const int&) { return true; }, all}});
  const std::vector<int> batch = {3, 1, 2};
  EXPECT_THAT(synced_positions(router.apply(batch)), ElementsAre(0, 1, 2));
  EXPECT_THAT(all->batches(), ElementsAre(ElementsAre(3, 1, 2)));
}

TEST(RouterApplier, RoutesNeedAPredicateAndAnApplier) {
  auto all = recording_applier([](int) { return Status(); });
  EXPECT_THROW(RouterApplier<int>({{nullptr, all}}), std::invalid_argument);
  EXPECT_THROW(RouterApplier<int>({{[](const int&) { return true; }, nullptr}}),
               std::invalid_argument);
}

}  // namespace
}  // namespace courier::testing
